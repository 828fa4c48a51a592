// Package djangosession reads and writes the sessions of a running Django app from Go: the
// session dicts Django's cache session backends keep in Redis or memcached (Python pickles), the
// signed values of django.core.signing, the db/cached_db session_data string and the
// signed_cookies cookie value.
//
// # Django names in Go
//
// The Go API keeps Django's verbs. Every call that talks to a server takes a context.Context.
//
//	Django                                         Go
//	SessionStore(key) + first access               Store.Load
//	SessionStore()                                 Store.New
//	session.save() / create() / delete()           Session.Save / Create / Delete
//	session.flush() / cycle_key()                  Session.Flush / CycleKey
//	session[k], .get, del session[k], .pop         Session.Get (String, Int, Bool), Set, Remove, Pop
//	session.setdefault / update / clear            Session.SetDefault / Update / Clear
//	set_expiry(int / datetime / timedelta / None)  SetExpirySeconds / SetExpiryAt / SetExpiryIn / ClearExpiry
//	get_expiry_age() / get_expiry_date()           Session.ExpiryAge / ExpiryDate
//	UpdateError / CreateError                      ErrUpdate / ErrCreate
//	SessionMiddleware                              Middleware (FromContext in handlers)
//	auth.get_user / login / logout                 Auth.GetUser / Login / Logout
//	update_session_auth_hash                       Auth.UpdateSessionAuthHash
//	get_session_auth_hash()                        SessionAuthHash, VerifySessionAuthHash
//	get_token / rotate_token (CSRF_USE_SESSIONS)   CSRF.Token / Rotate, CSRF.Check
//	messages (SessionStorage)                      Messages, messages.Add, messages.Pop
//	signing.Signer / TimestampSigner               Signer / TimestampSigner
//	signing.dumps / loads                          Dumps / Loads
//	BadSignature / SignatureExpired                ErrBadSignature / ErrSignatureExpired
//	SessionStore.encode / decode (db, cached_db)   EncodeSessionData / DecodeSessionData
//	signed_cookies SessionStore                    EncodeSignedCookieSession / DecodeSignedCookieSession
//	pickle.loads / pickle.dumps                    pickle.Codec.Decode / Encode
//	caches[...] (Redis, memcached)                 a [Cache]: redisstore.New, memcachestore.New
//
// # Concurrency
//
// A [Store], a [Middleware], an [Auth] and a [pickle.Codec] are safe for concurrent use once
// configured. A [Session] and the values it holds ([*Dict] and the other containers) are not:
// use a Session from one goroutine at a time, as Django uses a request's session. Two
// Sessions loaded from the same key (two concurrent requests) are two writers: as in Django, the
// last Save wins, unless [Config].CompareAndSetSave makes the later one fail with [ErrConflict].
//
// # Python values in Go
//
// A session dict read from a cache is a Python pickle. [pickle.Codec] (and [pickle.Unmarshal],
// [pickle.Marshal]) decode and encode it without Python, into and from these Go types:
//
//	Python                         Go
//	None                           nil
//	bool                           bool
//	int                            int64, or *big.Int when it does not fit
//	float                          float64
//	str                            string (UTF-8; a str with lone surrogates keeps their
//	                               surrogatepass bytes, so utf8.ValidString reports false)
//	bytes                          []byte
//	bytearray                      ByteArray
//	list                           []any
//	tuple                          Tuple
//	dict                           *Dict (ordered; keys of any hashable type)
//	collections.OrderedDict        *OrderedDict
//	set, frozenset                 *Set, *FrozenSet
//	complex                        complex128
//	datetime.datetime, date, time  DateTime, Date, Time (TZ nil when naive)
//	datetime.timedelta             TimeDelta
//	datetime.timezone              TimeZone (a TZInfo)
//	zoneinfo.ZoneInfo              ZoneInfo (a TZInfo)
//	pytz.utc, pytz zones           PytzZone (a TZInfo, kept as the call that rebuilds it)
//	decimal.Decimal                Decimal (its str() form)
//	uuid.UUID                      UUID
//	a class or function            Global (only allow-listed ones, e.g. inside an Object)
//	other allow-listed instances   *Object (inert: how the pickle rebuilds it;
//	                               see pickle.Codec.AllowGlobals)
//
// Encode also accepts Go conveniences: int, int8 to int32, uint to uint64 (Python int),
// float32, []string (list), map[string]any (dict, in sorted key order: a Go map has none),
// time.Time (an aware datetime in UTC with TimeZone{}, as Django writes with USE_TZ) and
// time.Duration (timedelta). Anything else fails with an [*UnsupportedTypeError].
//
// Decode reads everything CPython's pickle writes at protocols 0 to 5 (Python 2 str decoded
// as ASCII, as Python 3's default encoding="ASCII" does). It refuses persistent IDs, the
// extension registry, out-of-band buffers and recursive (self-containing) lists and dicts.
// Encode writes protocols 2 to 5 the way CPython's C pickler does; for values without shared
// references the bytes are CPython's own.
//
// # Safety
//
// Decode never imports, resolves or calls anything. A global (a class or function a pickle
// names) decodes only when it is one of [DefaultAllowedGlobals], which become the types above,
// or listed in pickle.Codec.AllowGlobals, which become inert [*Object] values; any other (os.system,
// builtins.eval, an app's class) fails with a [*ForbiddenGlobalError] naming it. Encode writes
// only the globals of the types above and those of Objects whose Global is allow-listed, so a
// value built from untrusted input cannot make Django import or call anything else. Decode
// bounds the input size, nesting depth, stack and memo, checks every length field against the
// remaining input before allocating, does not panic, and reports every failure caused by the
// input as an error matching [ErrCorrupt] (a [*pickle.Error] with the byte offset and opcode,
// or a *ForbiddenGlobalError).
//
// # Tagged JSON
//
// [tagged.Marshal] and [tagged.Unmarshal] convert these values to and from the JSON form the
// compatibility fixtures and the command-line tool use (compat_test/FORMAT.md); [py.Equal]
// compares two values as that format does, type-strictly.
package djangosession
