package djangosession

import (
	"github.com/djangobridge/bridge/pickle"
	"github.com/djangobridge/bridge/signing"
)

// The session serializers (SESSION_SERIALIZER), the session side of the codec packages: the
// cache engines store the session dict as a pickle through the Store's pickle.Codec
// ([Config].Codec); session_data and signed cookies serialize it with SESSION_SERIALIZER,
// Django's default signing.JSONSerializer (package pyjson underneath) or PickleSerializer.

// PickleSerializer is Django's PickleSerializer for sessions
// (django.contrib.sessions.serializers.PickleSerializer, deprecated in 4.1, removed in 5.0):
// pickle.dumps(obj, pickle.HIGHEST_PROTOCOL) and pickle.loads, through a pickle.Codec, whose
// allow-list of globals applies. A nil Codec means the zero pickle.Codec (protocol 5, default
// allow-list), which is what Django writes on Python 3.8+.
type PickleSerializer struct {
	Codec *pickle.Codec
}

var _ signing.Serializer = PickleSerializer{}

// Dumps implements Serializer.
func (p PickleSerializer) Dumps(v any) ([]byte, error) {
	c := p.Codec
	if c == nil {
		c = &pickle.Codec{}
	}
	return c.Encode(v)
}

// Loads implements Serializer.
func (p PickleSerializer) Loads(data []byte) (any, error) {
	c := p.Codec
	if c == nil {
		c = &pickle.Codec{}
	}
	return c.Decode(data)
}

// checkEncodable reports whether the engine's serializers can write v: the pickle of the cache
// engines, SESSION_SERIALIZER for session_data and signed cookies (both for cached_db).
func (st *Store) checkEncodable(v any) error {
	if st.cfg.engine == EngineCache || st.cfg.engine == EngineCachedDB {
		if _, err := st.codec.Encode(v); err != nil {
			return err
		}
	}
	if st.cfg.engine != EngineCache {
		if _, err := st.cfg.serializer.Dumps(v); err != nil {
			return err
		}
	}
	return nil
}
