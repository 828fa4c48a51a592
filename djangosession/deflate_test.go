package djangosession

import (
	"bytes"
	"encoding/base64"
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

// TestDeflateMatchesCPython checks zlibCompress against CPython's zlib.compress, run by the
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
			if got := zlibCompress(in); !bytes.Equal(got, want) {
				t.Errorf("django-%s (zlib %s): input %d (%d bytes): Go %d bytes, CPython %d", id, zver, i, len(in), len(got), len(want))
			}
		}
		t.Logf("django-%s: %d inputs, zlib %s", id, len(inputs), zver)
	}
}

// TestDeflateRoundTrip needs no Python: what zlibCompress writes inflates back, also when the
// pooled state is reused between sizes.
func TestDeflateRoundTrip(t *testing.T) {
	for i, in := range deflateInputs() {
		out, err := zlibDecompress(zlibCompress(in), -1)
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
			s.in = data // zlibCompressTo's steps, without the pool
			out := s.compressTo(nil, data)
			s.clearHeads()
			for h, v := range s.head {
				if v != 0 {
					t.Fatalf("head[%d] = %d after clearHeads", h, v)
				}
			}
			if fresh := zlibCompress(data); !bytes.Equal(out, fresh) {
				t.Fatal("a compressor's second use differs from the first")
			}
		})
	}
}
