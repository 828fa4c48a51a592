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
