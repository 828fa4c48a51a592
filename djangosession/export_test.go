package djangosession

// SessionStrs exposes the Store codec's interned strs to the external tests.
var SessionStrs = sessionStrs
