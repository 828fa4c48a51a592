// Package signing is django.core.signing in Go: [Signer] and [TimestampSigner] (sign, unsign,
// sign_object, unsign_object), [Dumps] and [Loads], salted_hmac ([SaltedHMAC]), and the
// URL-safe base64 and base62 encodings they use, byte for byte as Django writes them, for
// every supported Django version.
//
//	Django                                   Go
//	signing.Signer(key, salt=..., ...)       Signer{Key, Salt, ...}
//	signing.TimestampSigner                  TimestampSigner
//	Signer.sign / unsign                     Signer.Sign / Unsign (UnsignKey: which key matched)
//	sign_object / unsign_object              Signer.SignObject / UnsignObject
//	signing.dumps / loads                    Dumps / Loads (LoadsDetail)
//	SECRET_KEY_FALLBACKS                     Signer.FallbackKeys, LoadsOptions.FallbackKeys
//	utils.crypto.salted_hmac                 SaltedHMAC
//	JSONSerializer                           JSONSerializer (package pyjson underneath);
//	                                         LazyJSONSerializer: a session as a *pyjson.Object
//	                                         whose values are decoded on demand
//	BadSignature / SignatureExpired          ErrBadSignature / ErrSignatureExpired
//
// Order of checks, as Django: the signature is verified, in constant time, before anything
// of the payload is decoded; fallback keys are tried in order after the key; a compressed
// payload is inflated with a bound ([LoadsOptions].MaxDecompressedSize) checked as it
// inflates. A payload that verifies but cannot be decoded is [ErrCorrupt], as Django raises
// ValueError or zlib.error there rather than BadSignature.
//
// A Signer, TimestampSigner, JSONSerializer or LazyJSONSerializer is safe for concurrent use.
package signing
