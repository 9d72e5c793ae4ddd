package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/softphone"
)

// Softphones issues the workplace softphone's short-lived SIP credentials for an operator's
// extension (softphone.Provisioner), and revokes them at logout.
type Softphones interface {
	Issue(ctx context.Context, extension string) (softphone.Credentials, error)
	Revoke(ctx context.Context, extension string) error
}

func (s *Server) softphoneRoutes() []Route {
	return []Route{
		{Pattern: "GET /work/softphone", Allow: AnyUser, Title: "Программный телефон: учётные данные на короткое время", handle: s.softphoneCredentials},
	}
}

// softphoneAnswer is /work/softphone's JSON: the credentials, or why there are none (Handset:
// the operator's device is a SIP handset, the page shows no softphone).
type softphoneAnswer struct {
	*softphone.Credentials
	Handset bool   `json:"handset,omitempty"`
	Error   string `json:"error,omitempty"`
}

// softphoneCredentials answers the page's script (never cached: the password lives in the
// page's memory only).
func (s *Server) softphoneCredentials(w http.ResponseWriter, r *http.Request, u User) {
	w.Header().Set("Cache-Control", "no-store")
	answer := func(status int, a softphoneAnswer) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(a)
	}
	switch {
	case s.Softphones == nil:
		answer(http.StatusNotFound, softphoneAnswer{Error: "Программный телефон не включён на сервере."})
		return
	case u.Extension == "":
		answer(http.StatusConflict, softphoneAnswer{Error: "Внутренний номер не назначен: программный телефон недоступен."})
		return
	}
	c, err := s.Softphones.Issue(r.Context(), u.Extension)
	switch {
	case errors.Is(err, softphone.ErrHandset):
		answer(http.StatusConflict, softphoneAnswer{Handset: true, Error: "Ваш внутренний номер обслуживает SIP-телефон."})
	case err != nil:
		s.log().Error("web: softphone credentials", "login", u.Login, "extension", u.Extension, "err", err)
		status := http.StatusServiceUnavailable
		if hotline.ErrorCode(err) == hotline.EINVALID {
			status = http.StatusConflict
		}
		answer(status, softphoneAnswer{Error: "Программный телефон сейчас недоступен: сервер телефонии не ответил."})
	default:
		answer(http.StatusOK, softphoneAnswer{Credentials: &c})
	}
}

// softphoneOrigin is the WebSocket origin the page's script connects to, for the CSP's
// connect-src ("" when the softphone is off or the address is not ws/wss).
func softphoneOrigin(ws string) string {
	u, err := url.Parse(ws)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
