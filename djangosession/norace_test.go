//go:build !race

package djangosession

// raceEnabled reports a -race build; see race_test.go.
const raceEnabled = false
