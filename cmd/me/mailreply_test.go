package main

import "testing"

// TestDialAddr: `me mail reply` reaches a listener on an unspecified
// address on loopback, and any other where it listens.
func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:2525":  "127.0.0.1:2525",
		"0.0.0.0:25":      "127.0.0.1:25",
		":25":             "127.0.0.1:25",
		"[::]:25":         "[::1]:25",
		"192.0.2.7:25":    "192.0.2.7:25",
		"mx.example:2525": "mx.example:2525",
		"no port":         "no port",
	} {
		if got := dialAddr(in); got != want {
			t.Errorf("dialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
