//go:build race

package djangosession_test

// raceEnabled reports a -race build, where sync.Pool drops items at random and allocation
// counts say nothing about the code.
const raceEnabled = true
