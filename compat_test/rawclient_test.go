package compattest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Plain server clients: only the bytes, as they sit on the servers.

func dial(ctx context.Context, addr string) (net.Conn, *bufio.Reader, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	return conn, bufio.NewReader(conn), nil
}

func respCommand(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}

// redisGet runs SELECT db and GET key; found is false for a nil reply.
func redisGet(ctx context.Context, addr string, db int, key string) (value []byte, found bool, err error) {
	conn, r, err := dial(ctx, addr)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	if _, err := conn.Write(append(respCommand("SELECT", strconv.Itoa(db)), respCommand("GET", key)...)); err != nil {
		return nil, false, err
	}
	if line, err := readLine(r); err != nil || line != "+OK" {
		return nil, false, fmt.Errorf("SELECT: %q %v", line, err)
	}
	line, err := readLine(r)
	if err != nil {
		return nil, false, err
	}
	if !strings.HasPrefix(line, "$") {
		return nil, false, fmt.Errorf("GET: unexpected reply %q", line)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return nil, false, fmt.Errorf("GET: bad length %q", line)
	}
	if n < 0 {
		return nil, false, nil
	}
	if n > 64<<20 {
		return nil, false, fmt.Errorf("GET: %d bytes is more than a test value", n)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, false, err
	}
	return buf[:n], true, nil
}

// memcachedGet runs the text-protocol get; found is false when the server has no such key.
func memcachedGet(ctx context.Context, addr, key string) (value []byte, flags uint32, found bool, err error) {
	conn, r, err := dial(ctx, addr)
	if err != nil {
		return nil, 0, false, err
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "get %s\r\n", key); err != nil {
		return nil, 0, false, err
	}
	line, err := readLine(r)
	if err != nil {
		return nil, 0, false, err
	}
	if line == "END" {
		return nil, 0, false, nil
	}
	// VALUE <key> <flags> <bytes>
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "VALUE" || f[1] != key {
		return nil, 0, false, fmt.Errorf("get: unexpected reply %q", line)
	}
	fl, err1 := strconv.ParseUint(f[2], 10, 32)
	n, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil || n < 0 || n > 64<<20 {
		return nil, 0, false, fmt.Errorf("get: bad header %q", line)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, 0, false, err
	}
	if end, err := readLine(r); err != nil || end != "END" {
		return nil, 0, false, fmt.Errorf("get: no END after the value: %q %v", end, err)
	}
	return buf[:n], uint32(fl), true, nil
}
