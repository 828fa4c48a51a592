package zlib

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/djangobridge/bridge/internal/pybridge"
)

// deflateInputs are varied inputs: JSON sessions, text, random bytes (stored blocks), long runs
// (length-258 matches, window slides), sizes around the 16383-symbol block limit and the
// 64 KiB window.
func deflateInputs() [][]byte {
	r := rand.New(rand.NewPCG(7, 7))
	words := strings.Fields("the quick brown fox session user auth _auth_user_id pbkdf2_sha256 cart sku qty price {\"a\": [1, 2]} \\u00e9")
	var out [][]byte
	for _, n := range []int{0, 1, 2, 3, 4, 5, 10, 100, 258, 259, 300, 1000, 5000, 16383, 16384, 20000, 32768, 40000, 65536, 70000, 140000} {
		for kind := range 6 {
			b := make([]byte, n)
			switch kind {
			case 0: // words
				var sb strings.Builder
				for sb.Len() < n {
					sb.WriteString(words[r.IntN(len(words))])
					sb.WriteByte(" ,:\n"[r.IntN(4)])
				}
				copy(b, sb.String())
			case 1: // random bytes
				for i := range b {
					b[i] = byte(r.Uint32())
				}
			case 2: // two letters
				for i := range b {
					b[i] = "ab"[r.IntN(2)]
				}
			case 3: // one repeated word
				copy(b, bytes.Repeat([]byte(words[r.IntN(len(words))]), n+1))
			case 4: // four symbols
				for i := range b {
					b[i] = byte(r.IntN(4))
				}
			case 5: // zeros with sparse noise
				for i := range b {
					if r.IntN(500) == 0 {
						b[i] = byte(r.Uint32())
					}
				}
			}
			out = append(out, b)
		}
	}
	return out
}

// TestDeflateMatchesCPython checks Compress against CPython's zlib.compress, run by the
// Django 5.2 venv's python (zlib 1.2.13 in every venv here). Live: it needs compat_test/setup.sh.
func TestDeflateMatchesCPython(t *testing.T) {
	if testing.Short() {
		t.Skip("live test (needs the compat_test venvs): skipped under -short")
	}
	for _, id := range []string{"3.2", "6.1"} {
		py, err := pybridge.Python(id)
		if err != nil {
			t.Fatalf("%v (run compat_test/setup.sh)", err)
		}
		inputs := deflateInputs()
		var req bytes.Buffer
		for _, in := range inputs {
			req.WriteString(base64.StdEncoding.EncodeToString(in))
			req.WriteByte('\n')
		}
		cmd := exec.Command(py, "-c", `import sys, zlib, base64, json
print(json.dumps(zlib.ZLIB_RUNTIME_VERSION))
for line in sys.stdin:
    print(json.dumps(base64.b64encode(zlib.compress(base64.b64decode(line))).decode()))`)
		cmd.Stdin = &req
		outb, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", py, err)
		}
		lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
		if len(lines) != len(inputs)+1 {
			t.Fatalf("got %d lines for %d inputs", len(lines), len(inputs))
		}
		var zver string
		json.Unmarshal([]byte(lines[0]), &zver)
		for i, in := range inputs {
			var b64 string
			json.Unmarshal([]byte(lines[i+1]), &b64)
			want, _ := base64.StdEncoding.DecodeString(b64)
			if got := Compress(in); !bytes.Equal(got, want) {
				t.Errorf("django-%s (zlib %s): input %d (%d bytes): Go %d bytes, CPython %d", id, zver, i, len(in), len(got), len(want))
			}
		}
		t.Logf("django-%s: %d inputs, zlib %s", id, len(inputs), zver)
	}
}

// TestDeflateRoundTrip needs no Python: what Compress writes inflates back, also when the
// pooled state is reused between sizes.
func TestDeflateRoundTrip(t *testing.T) {
	for i, in := range deflateInputs() {
		out, err := Decompress(Compress(in), -1)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("input %d (%d bytes): %v", i, len(in), err)
		}
	}
}

// TestDeflaterClearsHeads checks that a compressor goes back to its pool with an empty hash
// table, whichever way clearHeads takes (recomputing the hashes of a short input, or clearing
// everything after a long one or a slid window): a stale head would change the next output.
func TestDeflaterClearsHeads(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 3, 4, 100, rehashMax - 1, rehashMax, rehashMax + 1, 40000, 70000, 140000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			data := make([]byte, n)
			for i := range data {
				data[i] = "abcdefgh{}\":,0123"[rng.IntN(17)]
			}
			s := newZDeflater()
			s.in = data // CompressTo's steps, without the pool
			out := s.compressTo(nil, data)
			s.clearHeads()
			for h, v := range s.head {
				if v != 0 {
					t.Fatalf("head[%d] = %d after clearHeads", h, v)
				}
			}
			if fresh := Compress(data); !bytes.Equal(out, fresh) {
				t.Fatal("a compressor's second use differs from the first")
			}
		})
	}
}

// differentialInputs returns a few hundred inputs of sizes 0..70 KB, many of them around the
// 32 KiB window slide and the 16383-symbol block limit, with redundancy from none (random
// bytes, stored blocks) to total (runs, length-258 matches), and long-distance repeats (matches
// beyond 4096 bytes and near the 32 KiB window edge).
func differentialInputs() [][]byte {
	r := rand.New(rand.NewPCG(11, 12))
	sizes := []int{0, 1, 2, 3, 4, 7, 8, 9, 255, 256, 257, 258, 259, 260, 261, 262, 263, 269, 520,
		4095, 4096, 4097, 16383, 16384, 32505, 32506, 32507, 32767, 32768, 32769, 33026, 33027,
		65273, 65274, 65536, 70000}
	for range 250 {
		switch r.IntN(3) {
		case 0:
			sizes = append(sizes, r.IntN(600))
		case 1:
			sizes = append(sizes, r.IntN(20000))
		default:
			sizes = append(sizes, r.IntN(70001))
		}
	}
	json := []string{`{"_auth_user_id":"`, `","_auth_user_backend":"django.contrib.auth.backends.ModelBackend"`,
		`,"cart":[`, `{"sku":"SKU-`, `","qty":`, `,"price":"`, `"}`, `]`, `,"_csrftoken":"`, `\u00e9`, `null`, `true`}
	var out [][]byte
	for i, n := range sizes {
		b := make([]byte, 0, n)
		switch i % 7 {
		case 0: // JSON-like text with random numbers and tokens
			for len(b) < n {
				b = append(b, json[r.IntN(len(json))]...)
				b = strconv.AppendInt(b, int64(r.IntN(100000)), 10)
			}
		case 1: // random bytes
			for len(b) < n {
				b = append(b, byte(r.Uint32()))
			}
		case 2: // a small alphabet
			k := 2 + r.IntN(14)
			for len(b) < n {
				b = append(b, byte('a'+r.IntN(k)))
			}
		case 3: // runs of random lengths
			for len(b) < n {
				b = append(b, bytes.Repeat([]byte{byte(r.IntN(4))}, 1+r.IntN(600))...)
			}
		case 4: // a random block repeated at a long distance, with mutations
			blk := make([]byte, 1+r.IntN(40000))
			for j := range blk {
				blk[j] = byte('A' + r.IntN(30))
			}
			for len(b) < n {
				b = append(b, blk...)
				b[len(b)-1-r.IntN(len(blk))] ^= 1
			}
		case 5: // random bytes then text: a stored block next to compressed ones
			for len(b) < n/2 {
				b = append(b, byte(r.Uint32()))
			}
			for len(b) < n {
				b = append(b, json[r.IntN(len(json))]...)
			}
		default: // short repeats at varied distances (3-byte matches near and beyond 4096)
			for len(b) < n {
				if d := 1 + r.IntN(8000); len(b) > d && r.IntN(2) == 0 {
					b = append(b, b[len(b)-d:len(b)-d+3+r.IntN(6)]...)
				} else {
					b = append(b, byte(r.IntN(256)))
				}
			}
		}
		out = append(out, b[:n])
	}
	return out
}

// TestDeflateDifferential compares Compress with CPython's zlib.compress (zlib 1.2.13) over
// differentialInputs: a few hundred sizes and kinds of redundancy, window slides included. It
// runs the Django 5.2 venv's python. Live: it fails when the venv is missing, except under -short.
func TestDeflateDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("live test (needs the compat_test venvs): skipped under -short")
	}
	py, err := pybridge.Python("5.2")
	if err != nil {
		t.Fatalf("%v (run compat_test/setup.sh)", err)
	}
	inputs := differentialInputs()
	var req bytes.Buffer
	for _, in := range inputs {
		req.Write(binary.BigEndian.AppendUint32(nil, uint32(len(in))))
		req.Write(in)
	}
	cmd := exec.Command(py, "-c", `import sys, zlib, struct
r, w = sys.stdin.buffer, sys.stdout.buffer
w.write(zlib.ZLIB_RUNTIME_VERSION.encode() + b"\n")
while h := r.read(4):
    z = zlib.compress(r.read(struct.unpack(">I", h)[0]))
    w.write(struct.pack(">I", len(z)) + z)`)
	cmd.Stdin = &req
	resp, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", py, err)
	}
	ver, resp, _ := bytes.Cut(resp, []byte("\n"))
	if string(ver) != "1.2.13" {
		t.Fatalf("CPython's zlib is %q, want 1.2.13", ver)
	}
	for i, in := range inputs {
		if len(resp) < 4 || len(resp)-4 < int(binary.BigEndian.Uint32(resp)) {
			t.Fatalf("response truncated at input %d", i)
		}
		n := int(binary.BigEndian.Uint32(resp))
		want := resp[4 : 4+n]
		resp = resp[4+n:]
		if got := Compress(in); !bytes.Equal(got, want) {
			t.Errorf("input %d (%d bytes): Go %d bytes, CPython %d", i, len(in), len(got), len(want))
		}
	}
	if len(resp) != 0 {
		t.Fatalf("%d bytes left over in the response", len(resp))
	}
}

// FuzzDeflateRoundTrip compresses arbitrary input: no panic, and both this package's inflater
// and compress/zlib give the input back. (Byte-exactness against CPython is what
// TestDeflateDifferential checks.)
func FuzzDeflateRoundTrip(f *testing.F) {
	for _, in := range deflateInputs() {
		if len(in) <= 1000 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		z := Compress(in)
		if out, err := Decompress(z, -1); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("Decompress: %v", err)
		}
		if out, err := stdInflate(z); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("compress/zlib: %v", err)
		}
	})
}
