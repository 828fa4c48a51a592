//go:build !race

package pyjson

// raceEnabled reports a -race build; see race_test.go.
const raceEnabled = false
