package py

// SetMaxConvertNodes lowers the node budget of FromGo and ToGo for the fuzz target, whose
// inputs can expand shared lists to the budget in every shape, and returns a function that
// restores it.
func SetMaxConvertNodes(n int) (restore func()) {
	old := maxConvertNodes
	maxConvertNodes = n
	return func() { maxConvertNodes = old }
}
