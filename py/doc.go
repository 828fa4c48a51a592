// Package py is the Python value model that the codecs of this module produce and consume: a
// decoded Django session is a *[Dict] of these values, whether it came from a pickle (package
// pickle) or from JSON (package pyjson). Plain Go values stand for the common Python types;
// named types stand for the rest, so that nothing is lost on a round trip:
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
//	a class or function            Global
//	other allow-listed instances   *Object (inert: how the pickle rebuilds it)
//
// The package also holds the pieces of Python's behaviour that more than one codec needs,
// written once: dict key identity (1, 1.0 and True are one key), repr of a float
// ([FloatRepr]), isoformat and fromisoformat ([DateTime.Isoformat], [FromISOFormat]), the
// timedelta constructor's normalisation ([NewTimeDelta]), base64.b64decode's lenient rules
// ([Base64Decode]), and a type-strict comparison of two values ([Equal]).
//
// A Dict, a Set and the other containers are not safe for concurrent use.
//
// # Go values in sessions
//
// [FromGo] turns a Go value into values of this package, ready for a session, and [ToGo] turns
// them back, as encoding/json's Marshal and Unmarshal do for JSON. (They are not called
// Marshal and Unmarshal because in this module those names make bytes: pickle.Marshal,
// pyjson.Marshal.) A struct becomes a dict keyed by its fields' `py` tags, with
// encoding/json's rules: `py:"name"` names the key, `py:"-"` leaves the field out, the
// options omitempty and omitzero leave out empty and zero values, unexported fields are
// ignored, and the fields of embedded structs are promoted (the shallowest wins; at one depth
// a tagged field wins; otherwise the name is dropped). ToGo matches dict keys to fields exactly,
// else case-insensitively, and ignores keys with no field.
//
//	Go                                 FromGo gives                        ToGo also accepts
//	nil, nil pointer or interface      None                                None sets a pointer, slice,
//	                                                                       map or interface to nil and
//	                                                                       leaves other values alone
//	bool                               bool
//	int*, uint* (any size)             int (*big.Int past MaxInt64)        range checked
//	float32, float64                   float (float32 as its shortest      int
//	                                   decimal: float32(0.1) is 0.1)
//	complex64, complex128              complex                             float, int
//	string                             str (UTF-8, else an error)
//	[]byte, [N]byte                    bytes                               bytearray; [N]byte needs N
//	                                                                       bytes; a []byte also a list
//	other slices and arrays            list                                tuple, set, frozenset; arrays
//	                                                                       drop extra items, zero the rest
//	nil slice, nil map                 [] and {} (Python code iterates
//	                                   them; use omitempty to drop them)
//	map[string]T, TextMarshaler keys   dict of str keys, sorted            OrderedDict
//	map[intN]T, map[uintN]T            dict of int keys, sorted            str keys holding ints (what
//	                                                                       a JSON session makes of them)
//	struct                             dict, in field order                OrderedDict
//	*T                                 what T gives                        allocates
//	time.Time                          aware datetime.datetime in UTC      an aware ISO 8601 str; naive
//	                                   (datetime.timezone.utc), cut to µs  ones are refused (their
//	                                                                       instant needs TIME_ZONE)
//	time.Time with `py:",isoformat"`   str: datetime.isoformat()
//	                                   ("2024-05-01T12:30:45+00:00")
//	time.Duration                      datetime.timedelta, cut to µs
//	Marshaler                          what MarshalPy returns, converted   Unmarshaler: UnmarshalPy
//	encoding.TextMarshaler             str                                 encoding.TextUnmarshaler
//	values of this package, *big.Int   themselves (containers' values      a copy (*Dict, *Set: a new
//	                                   converted)                          container of the same items)
//	any                                its dynamic value                   the value itself (shared)
//
// Which values a session can hold depends on where Django keeps it. The cache engine pickles
// the session dict, so all of the above can go in. The db, cached_db, file and signed_cookies
// engines serialize it with SESSION_SERIALIZER, by default JSONSerializer, which holds only
// None, bool, int, float, str, list and dict (tuples are written as lists, int dict keys as
// strs): json.dumps raises TypeError for a datetime, a timedelta, bytes, a set, a Decimal or a
// UUID, and so does package pyjson. A struct meant for a JSON-serialized session must
// therefore hold only strings, numbers, bools, and slices, maps, pointers and structs of them;
// store a time.Time with the isoformat option, as Django 4.2+ stores set_expiry's datetime,
// and ToGo and [Dict.Time] read it back.
package py
