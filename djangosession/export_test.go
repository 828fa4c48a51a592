package djangosession

// SessionStrs exposes the Store codec's interned strs to the external tests.
var SessionStrs = sessionStrs

// LazyState reports whether s holds its loaded data lazily, and how many values a Save would
// write over the stored ones (the items Set, and the values read that can change in place).
func LazyState(s *Session) (lazy bool, pending int) {
	if s.lazy == nil {
		return false, 0
	}
	return true, len(s.pending())
}
