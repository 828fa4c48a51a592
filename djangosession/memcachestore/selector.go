package memcachestore

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/bradfitz/gomemcache/memcache"
)

// RendezvousSelector is a memcache.ServerSelector that picks servers as pymemcache's HashClient
// does for Django's PyMemcacheCache: rendezvous (highest random weight) hashing where each
// server's score for a key is MurmurHash3 x86_32 (seed 0) of node + "-" + key, node being the
// LOCATION entry normalised to "host:port" (see NewRendezvousSelector); the highest score wins
// and a tie goes to the greater node name. The key's characters are hashed as their code points
// & 0xFF, as pymemcache's pure-Python murmur3 does (so non-ASCII keys differ from a murmur3 of
// the UTF-8 bytes).
//
// pymemcache drops a server after repeated failures (its keys then go to the others); this
// selector never does, so while a server is down its keys fail instead of moving. It is safe for
// concurrent use.
type RendezvousSelector struct {
	nodes []string
	addrs []net.Addr
}

// NewRendezvousSelector returns a RendezvousSelector for Django's LOCATION entries (already
// split on ";" and ","), normalised as pymemcache's normalize_server_spec does: "unix:/path" and
// "/path" are Unix sockets named by the path; otherwise the text after the last ":" is the port
// (11211 when there is no ":" or the entry ends with "]"), and square brackets around the host
// are removed. The node name is "host:port" with the host exactly as written (no DNS). Repeated
// entries count once. Host names are resolved now, as memcache.ServerList does.
func NewRendezvousSelector(location ...string) (*RendezvousSelector, error) {
	s := &RendezvousSelector{}
	seen := map[string]bool{}
	for _, loc := range location {
		node, addr, err := pymemcacheNode(loc)
		if err != nil {
			return nil, err
		}
		if seen[node] {
			continue
		}
		seen[node] = true
		s.nodes = append(s.nodes, node)
		s.addrs = append(s.addrs, addr)
	}
	if len(s.nodes) == 0 {
		return nil, errors.New("memcachestore: no servers")
	}
	return s, nil
}

// Nodes returns the node names, in LOCATION order.
func (s *RendezvousSelector) Nodes() []string { return append([]string(nil), s.nodes...) }

// Pick returns the index (into Nodes) of the server for key.
func (s *RendezvousSelector) Pick(key string) int {
	best, bestScore := -1, int64(-1)
	for i, node := range s.nodes {
		score := int64(murmur3Chars(node, key))
		if score > bestScore || (score == bestScore && node > s.nodes[best]) {
			best, bestScore = i, score
		}
	}
	return best
}

// PickServer implements memcache.ServerSelector.
func (s *RendezvousSelector) PickServer(key string) (net.Addr, error) {
	if len(s.addrs) == 0 {
		return nil, memcache.ErrNoServers
	}
	return s.addrs[s.Pick(key)], nil
}

// Each implements memcache.ServerSelector.
func (s *RendezvousSelector) Each(f func(net.Addr) error) error {
	for _, a := range s.addrs {
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}

// ModulaSelector is a memcache.ServerSelector that picks servers as libmemcached's defaults do
// for Django's PyLibMCCache (pylibmc): MEMCACHED_DISTRIBUTION_MODULA with the one_at_a_time hash,
// index = one_at_a_time(key bytes) % number of servers, in LOCATION order (unsorted; repeated
// entries count again); with one server, always that one. Bytes ≥ 0x80 are sign-extended as
// x86-64 libmemcached does (char is signed there; aarch64 builds place non-ASCII keys
// differently). It is safe for concurrent use.
//
// Only libmemcached's defaults are reproduced: OPTIONS["behaviors"] such as "ketama" or
// "hash": "crc" change the placement and are not supported.
type ModulaSelector struct {
	addrs []net.Addr
}

// NewModulaSelector returns a ModulaSelector for Django's LOCATION entries: "host:port", "host"
// (port 11211), "[v6]:port", "unix:/path" or "/path" (Django strips "unix:" before pylibmc sees
// the list). Host names are resolved now.
func NewModulaSelector(location ...string) (*ModulaSelector, error) {
	s := &ModulaSelector{}
	for _, loc := range location {
		_, addr, err := pymemcacheNode(loc)
		if err != nil {
			return nil, err
		}
		s.addrs = append(s.addrs, addr)
	}
	if len(s.addrs) == 0 {
		return nil, errors.New("memcachestore: no servers")
	}
	return s, nil
}

// Pick returns the index (into LOCATION) of the server for key.
func (s *ModulaSelector) Pick(key string) int {
	if len(s.addrs) <= 1 {
		return 0
	}
	return int(oneAtATime(key) % uint32(len(s.addrs)))
}

// PickServer implements memcache.ServerSelector.
func (s *ModulaSelector) PickServer(key string) (net.Addr, error) {
	if len(s.addrs) == 0 {
		return nil, memcache.ErrNoServers
	}
	return s.addrs[s.Pick(key)], nil
}

// Each implements memcache.ServerSelector.
func (s *ModulaSelector) Each(f func(net.Addr) error) error {
	for _, a := range s.addrs {
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}

// staticAddr is a resolved address whose String is computed once (gomemcache keys its
// connection pool by it).
type staticAddr struct{ network, str string }

func (a staticAddr) Network() string { return a.network }
func (a staticAddr) String() string  { return a.str }

// pymemcacheNode normalises one LOCATION entry as pymemcache's normalize_server_spec and
// HashClient do, returning the node name and the resolved address.
func pymemcacheNode(loc string) (string, net.Addr, error) {
	if loc == "" {
		return "", nil, errors.New("memcachestore: empty LOCATION entry")
	}
	path := ""
	switch {
	case strings.HasPrefix(loc, "unix:"):
		path = loc[len("unix:"):]
	case strings.HasPrefix(loc, "/"):
		path = loc
	}
	if path != "" {
		ua, err := net.ResolveUnixAddr("unix", path)
		if err != nil {
			return "", nil, fmt.Errorf("memcachestore: LOCATION entry %q: %w", loc, err)
		}
		return path, staticAddr{"unix", ua.String()}, nil
	}
	host, port := loc, 11211
	if strings.Contains(loc, ":") && !strings.HasSuffix(loc, "]") {
		i := strings.LastIndex(loc, ":")
		p, ok := pythonInt(loc[i+1:])
		if !ok || p < 0 || p > 65535 {
			return "", nil, fmt.Errorf("memcachestore: LOCATION entry %q: bad port", loc)
		}
		host, port = loc[:i], p
	}
	if strings.HasPrefix(host, "[") {
		host = strings.Trim(host, "[]")
	}
	node := host + ":" + strconv.Itoa(port)
	ta, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return "", nil, fmt.Errorf("memcachestore: LOCATION entry %q: %w", loc, err)
	}
	return node, staticAddr{"tcp", ta.String()}, nil
}

// pythonInt parses s as Python's int(str) does for ASCII input: surrounding whitespace, an
// optional sign, digits with single underscores between them.
func pythonInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || strings.ContainsAny(s, "+-") {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

var (
	_ memcache.ServerSelector = (*RendezvousSelector)(nil)
	_ memcache.ServerSelector = (*ModulaSelector)(nil)
)
