package inbound_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/minaengagemang/me/server/inbound"
	"github.com/minaengagemang/me/server/testpki"
	"github.com/minaengagemang/me/store/storetest"
)

// remoteConn is a connection that reports another remote address: how a
// test on one machine is a client from elsewhere.
type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

type remoteListener struct {
	net.Listener
	remote net.Addr
}

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{c, l.remote}, nil
}

// TestLoopback: only a client on a loopback address may send without
// STARTTLS; anything ME cannot read as a loopback IP must use it.
func TestLoopback(t *testing.T) {
	pipe, other := net.Pipe()
	defer pipe.Close()
	defer other.Close()
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, tc := range []struct {
		name string
		conn net.Conn
		want bool
	}{
		{"IPv4 loopback", remoteConn{pipe, tcp("127.0.0.1:40000")}, true},
		{"elsewhere in 127/8", remoteConn{pipe, tcp("127.3.2.1:40000")}, true},
		{"IPv6 loopback", remoteConn{pipe, tcp("[::1]:40000")}, true},
		{"IPv4-mapped loopback", remoteConn{pipe, tcp("[::ffff:127.0.0.1]:40000")}, true},
		{"a LAN address", remoteConn{pipe, tcp("192.0.2.7:40000")}, false},
		{"a private address", remoteConn{pipe, tcp("10.0.0.1:40000")}, false},
		{"IPv6 ULA", remoteConn{pipe, tcp("[fd00::2]:40000")}, false},
		{"IPv6 link-local with zone", remoteConn{pipe, &net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 40000, Zone: "eth0"}}, false},
		{"unspecified", remoteConn{pipe, tcp("0.0.0.0:40000")}, false},
		{"no IP (a pipe)", pipe, false},
		{"a Unix socket", remoteConn{pipe, &net.UnixAddr{Name: "@", Net: "unix"}}, false},
		{"no connection", nil, false},
	} {
		if got := inbound.Loopback(tc.conn); got != tc.want {
			t.Errorf("%s: Loopback = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// nonLoopbackIP is an address of this machine's own that is not loopback,
// or nil.
func nonLoopbackIP() net.IP {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	return nil
}

// TestSTARTTLSRequiredOffLoopback: a client that is not on loopback is
// refused at MAIL (530) until it has used STARTTLS, and nothing is
// stored; with STARTTLS its reply comes into the case. Both with a client
// that only looks remote (its connection's remote address) and, when this
// machine has one, over a real non-loopback interface.
func TestSTARTTLSRequiredOffLoopback(t *testing.T) {
	ca := testpki.NewCA(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "localhost", "", x509.ExtKeyUsageServerAuth)}}
	clientTLS := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	listeners := map[string]func(t *testing.T) net.Listener{
		"remote address": func(t *testing.T) net.Listener {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return remoteListener{ln, &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 40000}}
		},
		"real interface": func(t *testing.T) net.Listener {
			ip := nonLoopbackIP()
			if ip == nil {
				t.Skip("this machine has no non-loopback IPv4 address")
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
			if err != nil {
				t.Skipf("cannot listen on %s: %v", ip, err)
			}
			return ln
		},
	}
	driver := storetest.Drivers()[0] // the decision is the listener's; one store is enough
	for name, listen := range listeners {
		t.Run(name, func(t *testing.T) {
			f := startOn(t, driver, listen(t), serverTLS)
			raw := mail(replyHeaders(handler, "tls-1@kommun.example"), "Hej Tolvan!")

			err := f.send(t, handler, f.replyTo, raw)
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != 530 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 0}) {
				t.Fatalf("without STARTTLS: %v; want 530 5.7.0 at MAIL", err)
			}
			if n := len(f.replies(t)); n != 0 {
				t.Fatalf("%d replies in the case after a refused plain-text delivery", n)
			}

			f.clientTLS = clientTLS
			if err := f.send(t, handler, f.replyTo, raw); err != nil {
				t.Fatalf("with STARTTLS: %v", err)
			}
			if got := f.replies(t); len(got) != 1 || got[0].Text.SV != "Hej Tolvan!" {
				t.Errorf("replies after STARTTLS: %+v", got)
			}
		})
	}
}
