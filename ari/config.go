package ari

import (
	"context"
	"net/http"
)

// ConfigField is one attribute of a pushed configuration object, e.g. {"webrtc", "yes"}.
type ConfigField struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

// PutConfig creates or updates a dynamic configuration object (ARI push configuration), e.g.
// class res_pjsip, type endpoint, id 9001. Asterisk accepts it only for object types whose sorcery
// wizards can write (sorcery.conf: memory after config); an object from a configuration file is
// read-only and the answer is 403.
func (c *Conn) PutConfig(ctx context.Context, class, typ, id string, fields []ConfigField) error {
	return c.do(ctx, request{op: "push " + typ + " " + id, method: http.MethodPut,
		path: pathf("/asterisk/config/dynamic/%s/%s/%s", class, typ, id),
		body: map[string]any{"fields": fields}}, nil)
}

// DeleteConfig deletes a dynamic configuration object pushed by PutConfig. Asterisk answers 404
// for an object it does not have and 403 for one from a configuration file (read-only).
func (c *Conn) DeleteConfig(ctx context.Context, class, typ, id string) error {
	return c.do(ctx, request{op: "delete " + typ + " " + id, method: http.MethodDelete,
		path: pathf("/asterisk/config/dynamic/%s/%s/%s", class, typ, id)}, nil)
}
