//go:build !race

package pickle

// raceEnabled reports a -race build; see race_test.go.
const raceEnabled = false
