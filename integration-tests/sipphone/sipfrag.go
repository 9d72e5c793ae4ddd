package sipphone

import (
	"errors"
	"strconv"
	"strings"
)

// parseSipfrag reads the status line of a message/sipfrag body (RFC 3420), as NOTIFYs about a
// REFER carry it: "SIP/2.0 200 OK".
func parseSipfrag(body []byte) (code int, reason string, err error) {
	line, _, _ := strings.Cut(string(body), "\n")
	line = strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(line, "SIP/2.0 ")
	if !ok {
		return 0, "", errors.New("sipfrag: no SIP/2.0 status line")
	}
	num, reason, _ := strings.Cut(rest, " ")
	code, err = strconv.Atoi(num)
	if err != nil || code < 100 || code > 699 {
		return 0, "", errors.New("sipfrag: bad status code")
	}
	return code, reason, nil
}
