package pickle

// Pickle opcodes, grouped by the protocol that introduced them (CPython Lib/pickle.py and
// Lib/pickletools.py). Text opcodes end with a newline-terminated argument; the binary ones
// carry little-endian lengths unless noted.
const (
	// Protocol 0 (text) and the opcodes shared by every protocol.
	opMark       byte = '(' // push the mark that APPENDS, SETITEMS, TUPLE, ... pop back to
	opStop       byte = '.' // end of the pickle; the top of the stack is the result
	opPop        byte = '0' // discard the top of the stack
	opDup        byte = '2' // push a copy of the top of the stack
	opFloat      byte = 'F' // float as repr text: F1.5\n
	opInt        byte = 'I' // int as decimal text; I01\n and I00\n are True and False
	opLong       byte = 'L' // int as decimal text with an optional trailing L
	opNone       byte = 'N' // push None
	opPersID     byte = 'P' // persistent id as text (rejected: no persistent_load)
	opReduce     byte = 'R' // callable(*args): pop args, pop callable, push result
	opString     byte = 'S' // Python 2 str as a quoted repr literal with escapes
	opUnicode    byte = 'V' // str in raw-unicode-escape, newline-terminated
	opAppend     byte = 'a' // list.append(top): pop the item, append to the list below
	opBuild      byte = 'b' // obj.__setstate__(state): pop the state, apply to the object below
	opGlobal     byte = 'c' // push the global "module\nname\n"
	opDict       byte = 'd' // build a dict from the items since the mark
	opGet        byte = 'g' // push memo[decimal text]
	opInst       byte = 'i' // "module\nname\n" called with the items since the mark
	opList       byte = 'l' // build a list from the items since the mark
	opPut        byte = 'p' // memo[decimal text] = top of the stack
	opSetItem    byte = 's' // dict[key] = value: pop value and key, set on the dict below
	opTuple      byte = 't' // build a tuple from the items since the mark
	opSetItems   byte = 'u' // set key/value pairs since the mark on the dict below the mark
	opPopMark    byte = '1' // discard everything down to and including the topmost mark
	opAppends    byte = 'e' // extend the list below the mark with the items since the mark
	opEmptyDict  byte = '}' // push {}
	opEmptyList  byte = ']' // push []
	opEmptyTuple byte = ')' // push ()

	// Protocol 1 (binary).
	opBinInt         byte = 'J' // signed 4-byte int
	opBinInt1        byte = 'K' // unsigned 1-byte int
	opBinInt2        byte = 'M' // unsigned 2-byte int
	opBinPersID      byte = 'Q' // persistent id from the stack (rejected)
	opBinString      byte = 'T' // Python 2 str, 4-byte length
	opShortBinString byte = 'U' // Python 2 str, 1-byte length
	opBinUnicode     byte = 'X' // UTF-8 str, 4-byte length
	opBinFloat       byte = 'G' // float, 8 bytes big-endian IEEE 754
	opBinGet         byte = 'h' // push memo[1-byte index]
	opLongBinGet     byte = 'j' // push memo[4-byte index]
	opBinPut         byte = 'q' // memo[1-byte index] = top
	opLongBinPut     byte = 'r' // memo[4-byte index] = top
	opObj            byte = 'o' // cls(*args) with cls and args since the mark

	// Protocol 2.
	opProto    byte = 0x80 // protocol version, 1 byte
	opNewObj   byte = 0x81 // cls.__new__(cls, *args): pop args, pop cls
	opExt1     byte = 0x82 // extension registry code, 1 byte (rejected)
	opExt2     byte = 0x83 // extension registry code, 2 bytes (rejected)
	opExt4     byte = 0x84 // extension registry code, 4 bytes (rejected)
	opTuple1   byte = 0x85 // build a 1-tuple from the top item
	opTuple2   byte = 0x86 // build a 2-tuple from the top two items
	opTuple3   byte = 0x87 // build a 3-tuple from the top three items
	opNewTrue  byte = 0x88 // push True
	opNewFalse byte = 0x89 // push False
	opLong1    byte = 0x8a // int, 1-byte length, little-endian two's complement
	opLong4    byte = 0x8b // int, 4-byte length, little-endian two's complement

	// Protocol 3.
	opBinBytes      byte = 'B' // bytes, 4-byte length
	opShortBinBytes byte = 'C' // bytes, 1-byte length

	// Protocol 4.
	opShortBinUnicode byte = 0x8c // UTF-8 str, 1-byte length
	opBinUnicode8     byte = 0x8d // UTF-8 str, 8-byte length
	opBinBytes8       byte = 0x8e // bytes, 8-byte length
	opEmptySet        byte = 0x8f // push set()
	opAddItems        byte = 0x90 // add the items since the mark to the set below the mark
	opFrozenSet       byte = 0x91 // build a frozenset from the items since the mark
	opNewObjEx        byte = 0x92 // cls.__new__(cls, *args, **kwargs): pop kwargs, args, cls
	opStackGlobal     byte = 0x93 // pop name and module strings, push the global
	opMemoize         byte = 0x94 // memo[len(memo)] = top
	opFrame           byte = 0x95 // frame of the next 8-byte-length bytes (a framing hint)

	// Protocol 5.
	opByteArray8     byte = 0x96 // bytearray, 8-byte length
	opNextBuffer     byte = 0x97 // out-of-band buffer (rejected)
	opReadOnlyBuffer byte = 0x98 // make the top buffer read-only (rejected with NEXT_BUFFER)
)

// highestProtocol is the newest protocol Decode and Encode know.
const highestProtocol = 5

var opNames = [256]string{
	opMark: "MARK", opStop: "STOP", opPop: "POP", opDup: "DUP", opFloat: "FLOAT", opInt: "INT",
	opLong: "LONG", opNone: "NONE", opPersID: "PERSID", opReduce: "REDUCE", opString: "STRING",
	opUnicode: "UNICODE", opAppend: "APPEND", opBuild: "BUILD", opGlobal: "GLOBAL", opDict: "DICT",
	opGet: "GET", opInst: "INST", opList: "LIST", opPut: "PUT", opSetItem: "SETITEM",
	opTuple: "TUPLE", opSetItems: "SETITEMS", opPopMark: "POP_MARK", opAppends: "APPENDS",
	opEmptyDict: "EMPTY_DICT", opEmptyList: "EMPTY_LIST", opEmptyTuple: "EMPTY_TUPLE",
	opBinInt: "BININT", opBinInt1: "BININT1", opBinInt2: "BININT2", opBinPersID: "BINPERSID",
	opBinString: "BINSTRING", opShortBinString: "SHORT_BINSTRING", opBinUnicode: "BINUNICODE",
	opBinFloat: "BINFLOAT", opBinGet: "BINGET", opLongBinGet: "LONG_BINGET", opBinPut: "BINPUT",
	opLongBinPut: "LONG_BINPUT", opObj: "OBJ", opProto: "PROTO", opNewObj: "NEWOBJ",
	opExt1: "EXT1", opExt2: "EXT2", opExt4: "EXT4", opTuple1: "TUPLE1", opTuple2: "TUPLE2",
	opTuple3: "TUPLE3", opNewTrue: "NEWTRUE", opNewFalse: "NEWFALSE", opLong1: "LONG1",
	opLong4: "LONG4", opBinBytes: "BINBYTES", opShortBinBytes: "SHORT_BINBYTES",
	opShortBinUnicode: "SHORT_BINUNICODE", opBinUnicode8: "BINUNICODE8", opBinBytes8: "BINBYTES8",
	opEmptySet: "EMPTY_SET", opAddItems: "ADDITEMS", opFrozenSet: "FROZENSET",
	opNewObjEx: "NEWOBJ_EX", opStackGlobal: "STACK_GLOBAL", opMemoize: "MEMOIZE", opFrame: "FRAME",
	opByteArray8: "BYTEARRAY8", opNextBuffer: "NEXT_BUFFER", opReadOnlyBuffer: "READONLY_BUFFER",
}

// opName returns the opcode's name, or its hex value when it is not an opcode.
func opName(op byte) string {
	if n := opNames[op]; n != "" {
		return n
	}
	const hexd = "0123456789abcdef"
	return "0x" + string([]byte{hexd[op>>4], hexd[op&15]})
}
