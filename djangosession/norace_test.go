//go:build !race

package djangosession_test

const raceEnabled = false
