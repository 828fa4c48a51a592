package signing

// Internals the external tests reach.
var (
	B62DecodeBig = b62DecodeBig
	Truncate     = truncate
)
