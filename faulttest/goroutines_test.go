package faulttest

import (
	"runtime"
	"strconv"
)

func numGoroutine() int { return runtime.NumGoroutine() }

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }
