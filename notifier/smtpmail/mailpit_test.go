package smtpmail_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// plainServer is a minimal SMTP greeter without STARTTLS, on loopback.
func plainServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprint(c, "220 plain ESMTP\r\n")
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					switch s := string(buf[:n]); {
					case len(s) >= 4 && (s[:4] == "EHLO" || s[:4] == "HELO"):
						fmt.Fprint(c, "250-plain\r\n250 AUTH PLAIN\r\n")
					case len(s) >= 4 && s[:4] == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "502 no\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}
