package crypt

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Payload metadata of an encrypted payload. The names are those of Temporal's encryption sample
// (samples-go/encryption), so other tools that know it recognise EaaPL's payloads.
const (
	MetadataEncoding   = converter.MetadataEncoding // "encoding"
	EncodingEncrypted  = "binary/encrypted"
	MetadataKeyID      = "encryption-key-id"
	MetadataCipher     = "encryption-cipher"
	CipherAES256GCM    = "AES-256-GCM"
	DefaultKeyFileName = "payload.keys" // in the data folder, where `eaapl dev` writes it
)

// Load returns the payload keys the configuration names: the file keyFile (EAAPL_KEY_FILE), which must
// then exist; without it, DataDir/payload.keys when that exists (`eaapl dev` writes it); otherwise nil,
// and payloads are not encrypted.
func Load(keyFile, dataDir string) (*Keys, error) {
	if keyFile != "" {
		keys, err := LoadKeyFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("EAAPL_KEY_FILE: %w", err)
		}
		return keys, nil
	}
	if dataDir == "" {
		return nil, nil
	}
	path := filepath.Join(dataDir, DefaultKeyFileName)
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	return LoadKeyFile(path)
}

// ClientOptions makes a Temporal client encrypt everything it stores: inputs, results, heartbeat
// details, signals, updates, query results and memo go through the codec, and errors' messages and stack
// traces are encrypted too (EncodeCommonAttributes), since an error may quote a contact or a message.
// Workers made from the client inherit both converters. With nil keys it leaves opts as they are.
func ClientOptions(opts *client.Options, keys *Keys) {
	if keys == nil {
		return
	}
	dc := DataConverter(keys)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}

// DataConverter is Temporal's default data converter with the keys' codec behind it.
func DataConverter(keys *Keys) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(keys))
}

// Codec is a converter.PayloadCodec that encrypts each payload whole (metadata and data) with AES-256-GCM
// under the newest key and decrypts with whichever key the payload names.
type Codec struct{ keys *Keys }

// NewCodec returns the codec of keys.
func NewCodec(keys *Keys) *Codec { return &Codec{keys: keys} }

// Encode encrypts payloads with the newest key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.current
	aead := c.keys.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(id),
				MetadataCipher:   []byte(CipherAES256GCM),
			},
			// The key ID is authenticated too, so a payload cannot be relabelled.
			Data: aead.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads and passes others through as they are, so histories written before
// encryption was turned on still read.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys.aeads[id]
		if !ok {
			return nil, fmt.Errorf("decrypt payload: it was encrypted with key %q, which is not in the key file (EAAPL_KEY_FILE)", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, fmt.Errorf("decrypt payload: %d bytes is too short for a payload encrypted with key %q", len(data), id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("decrypt payload with key %q: it was altered or encrypted with another key of that ID", id)
		}
		var dp commonpb.Payload
		if err := proto.Unmarshal(plain, &dp); err != nil {
			return nil, fmt.Errorf("decrypt payload: %w", err)
		}
		out[i] = &dp
	}
	return out, nil
}

// subkey derives a key for one purpose from a payload key, so that the payload keys, a MAC and Kafka
// values never share a key.
func subkey(key []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, key, nil, "eaapl "+purpose, KeySize)
	if err != nil {
		// Only for lengths HKDF cannot produce; KeySize is not one of them.
		panic(fmt.Sprintf("crypt: derive a key: %v", err))
	}
	return k
}

// Signer signs with the newest key and verifies with any key of a key file, for one purpose.
type Signer struct {
	keys    *Keys
	purpose string
}

// Signer returns the keys' signer for purpose (e.g. "plan-cache"); each purpose has its own derived key.
func (k *Keys) Signer(purpose string) *Signer { return &Signer{keys: k, purpose: purpose} }

// Sign returns "keyID:hex(HMAC-SHA256)" of data.
func (s *Signer) Sign(data []byte) string {
	id := s.keys.current
	return id + ":" + hex.EncodeToString(s.mac(id, data))
}

// Verify checks a signature Sign made, with any key of the file.
func (s *Signer) Verify(data []byte, sig string) error {
	id, macHex, ok := strings.Cut(sig, ":")
	if !ok {
		return errors.New("the signature is not keyID:hex")
	}
	if _, known := s.keys.raw[id]; !known {
		return fmt.Errorf("the signature's key %q is not in the key file", id)
	}
	got, err := hex.DecodeString(macHex)
	if err != nil || !hmac.Equal(got, s.mac(id, data)) {
		return errors.New("the signature does not match the content")
	}
	return nil
}

func (s *Signer) mac(id string, data []byte) []byte {
	m := hmac.New(sha256.New, subkey(s.keys.raw[id], s.purpose))
	m.Write(data)
	return m.Sum(nil)
}
