package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// ValuePrefix starts a value that SealValue encrypted: "eaapl-enc:v1:<key id>:<base64url(nonce+ciphertext)>".
// A Kafka consumer without the key sees this in place of a contact's address or a message's text; one
// with it (`eaapl events`) calls OpenValue.
const ValuePrefix = "eaapl-enc:v1:"

// valueAEAD returns the AEAD of a key for event values: a key derived from the payload key, so that a
// value on Kafka and a payload in Temporal never share a key. ParseKeys derives them once.
func (k *Keys) valueAEAD(id string) (cipher.AEAD, error) {
	aead, ok := k.values[id]
	if !ok {
		return nil, fmt.Errorf("key %q is not in the key file (EAAPL_KEY_FILE)", id)
	}
	return aead, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SealValue encrypts one value of an event with the newest key. field names where the value goes
// ("to", "body"): it is authenticated with the value, so a value cannot be moved into another field.
func (k *Keys) SealValue(field, value string) (string, error) {
	id := k.current
	aead, err := k.valueAEAD(id)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(value)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(value), []byte(id+"\x00"+field))
	return ValuePrefix + id + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenValue decrypts a value SealValue made for field, with whichever key it names; a value without
// ValuePrefix is returned as it is (events from before encryption).
func (k *Keys) OpenValue(field, value string) (string, error) {
	rest, ok := strings.CutPrefix(value, ValuePrefix)
	if !ok {
		return value, nil
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", fmt.Errorf("event value of %s: not %s<key>:<data>", field, ValuePrefix)
	}
	aead, err := k.valueAEAD(id)
	if err != nil {
		return "", fmt.Errorf("event value of %s: %w", field, err)
	}
	sealed, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(sealed) < aead.NonceSize() {
		return "", fmt.Errorf("event value of %s: not encrypted data", field)
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(id+"\x00"+field))
	if err != nil {
		return "", fmt.Errorf("event value of %s: altered, or sealed for another field", field)
	}
	return string(plain), nil
}
