package smtpmail_test

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/notifier/smtpmail"
)

func Example() {
	// The secret holds {"host","port","username","password"}; here a fake
	// of the secrets reader stands in for Secrets Manager.
	sec := secrets{"mangaalert/smtp": `{"host":"smtp.sendgrid.net","port":465,"username":"apikey","password":"SG.x"}`}
	s, err := smtpmail.FromSecret(context.Background(), sec, "mangaalert/smtp")
	fmt.Println(s != nil, err)
	_, err = smtpmail.FromSecret(context.Background(), secrets{"bad": `{"host":"smtp.sendgrid.net"}`}, "bad")
	fmt.Println(err)
	// Output:
	// true <nil>
	// smtp: secret bad: smtp config: port 0 is not a TCP port (587 for STARTTLS, 465 for TLS)
}
