// Package faulttest holds the fault, load and hostile-input tests of the session bridge: each
// test starts its own redis-server and memcached processes on free loopback ports (never the
// shared test servers), breaks them (kill, restart, a proxy that stalls or cuts connections) and
// checks that djangosession keeps serving, returns typed errors and never loses a session.
//
// The package has no API; everything is in its _test.go files. Run it with
//
//	go test -race ./faulttest/
//
// It needs the redis-server and memcached binaries (scripts/servers-start.sh installs them);
// -short skips it.
package faulttest
