package mailtest

import (
	"net"
	"testing"
)

func TestStartListens(t *testing.T) {
	s := Start(t, Options{})
	for _, addr := range []string{s.IMAPAddr, s.IMAPSAddr, s.SubmissionAddr, s.MXAddr} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		c.Close()
	}
	t.Log(s.Env())
}
