package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// tokensPage lists every token (GET /settings/tokens, admin).
func (a *app) tokensPage(w http.ResponseWriter, r *http.Request) error {
	v, err := a.tokensView(r)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, ui.TokensPage(v))
}

func (a *app) tokensView(r *http.Request) (ui.TokensView, error) {
	toks, err := a.store.Tokens(r.Context())
	if err != nil {
		return ui.TokensView{}, err
	}
	now := a.now()
	v := ui.TokensView{Layout: a.layout(r, "Tokens", ui.NavTokens), Scope: probes.ScopeIngest, Scopes: probes.Scopes()}
	s := sessionOf(r)
	for _, t := range toks {
		row := ui.TokenRow{ID: t.ID, Name: t.Name, Scope: t.Scope, Hint: t.Hint, Created: ui.NewStamp(t.CreatedAt, now),
			LastUsed: ui.StampOf(t.LastUsedAt, now), Revoked: ui.StampOf(t.RevokedAt, now), Current: s != nil && s.TokenID == t.ID}
		if t.RevokedAt == nil {
			row.Revoke = templ.SafeURL("/settings/tokens/" + strconv.FormatInt(t.ID, 10) + "/revoke")
		}
		v.Tokens = append(v.Tokens, row)
	}
	return v, nil
}

// createToken creates a token and shows its secret once (POST /settings/tokens).
func (a *app) createToken(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := a.checkCSRF(r, sessionOf(r)); err != nil {
		return err
	}
	name, scope := r.PostFormValue("name"), r.PostFormValue("scope")
	secret, tok, err := a.store.CreateToken(r.Context(), name, scope)
	var ve *probes.ValidationError
	if errors.As(err, &ve) {
		v, err := a.tokensView(r)
		if err != nil {
			return err
		}
		v.Name, v.Scope = name, scope
		v.Error = "The token was not created: " + strings.TrimPrefix(ve.Errors[0].Pointer, "/") + " " + ve.Errors[0].Detail + "."
		return a.render(w, r, http.StatusUnprocessableEntity, ui.TokensPage(v))
	}
	if err != nil {
		return err
	}
	a.log.Info("token created", "token", tok.ID, "scope", tok.Scope, "by", sessionOf(r).User, "request_id", requestID(r.Context()))
	v, err := a.tokensView(r)
	if err != nil {
		return err
	}
	v.Created = &ui.CreatedToken{Name: tok.Name, Scope: tok.Scope, Secret: ui.Command{ID: "new-token", Text: secret}}
	return a.render(w, r, http.StatusOK, ui.TokensPage(v))
}

// revokeToken revokes a token (POST /settings/tokens/{id}/revoke).
func (a *app) revokeToken(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := a.checkCSRF(r, sessionOf(r)); err != nil {
		return err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return errStatus(http.StatusNotFound, "no such token")
	}
	if err := a.store.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	a.log.Info("token revoked", "token", id, "by", sessionOf(r).User, "request_id", requestID(r.Context()))
	http.Redirect(w, r, "/settings/tokens", http.StatusSeeOther)
	return nil
}
