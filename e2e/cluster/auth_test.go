package cluster_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The cluster's frontend runs the Temporal server's own authorization: its default JWT claim mapper reads
// the bearer token of each call, checks its signature against the keys of a JWKS (served here on
// loopback, as an identity provider would serve it), and maps the "permissions" claim
// ("<namespace>:<read|write|admin>", "temporal-system:admin" for the whole cluster) to roles, which its
// default authorizer compares with what each API needs.

// permissionsClaim is the claim the server reads the permissions from (permissionsClaimName).
const permissionsClaim = "permissions"

// issuer signs tokens (ES256) with a key whose public half it serves as a JWKS.
type issuer struct {
	key  *ecdsa.PrivateKey
	kid  string
	jwks *httptest.Server // nil: an issuer the server does not know
}

// newIssuer makes a signing key and, when serve is set, serves its JWKS on loopback until the test ends.
func newIssuer(t *testing.T, kid string, serve bool) *issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	i := &issuer{key: key, kid: kid}
	if serve {
		set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}}})
		if err != nil {
			t.Fatal(err)
		}
		i.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(set)
		}))
		t.Cleanup(i.jwks.Close)
	}
	return i
}

// jwksURL is where the server reads the issuer's keys (keySourceURIs).
func (i *issuer) jwksURL() string { return i.jwks.URL + "/.well-known/jwks.json" }

// token is a JWT for subject with the given permissions, valid for ttl (negative: expired already).
func (i *issuer) token(t *testing.T, subject string, ttl time.Duration, permissions ...string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: i.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", i.kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(signer).
		Claims(jwt.Claims{Subject: subject, IssuedAt: jwt.NewNumericDate(now.Add(min(ttl, 0) - time.Minute)), Expiry: jwt.NewNumericDate(now.Add(ttl))}).
		Claims(map[string]any{permissionsClaim: permissions}).
		Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenFile writes a token where EAAPL_TEMPORAL_TOKEN_FILE can name it, mode 0600.
func tokenFile(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "temporal.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
