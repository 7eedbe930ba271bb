package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"
)

// maxShownResponse caps the part of a handler's answer that send prints.
const maxShownResponse = 64 << 10

func runSend(c *cli, args []string) error {
	fs := c.flags("<url> --scheme <scheme> (--secret s | --secret-file f | $" + secretEnv + ") [--body file|-] [--timeout 10s] [sign flags]")
	sf := addSignFlags(fs)
	timeout := fs.Duration("timeout", 10*time.Second, "bound on the whole exchange (at most 2m)")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *timeout <= 0 || *timeout > 2*time.Minute {
		return usageErr("--timeout must be between 0 and 2m (see itsmsync send --help)")
	}
	u, err := url.Parse(pos[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("the URL must be an absolute http or https URL")
	}
	if u.User != nil {
		return usageErr("the URL must not hold credentials: sign the delivery with --scheme instead")
	}
	d, err := c.buildDelivery(fs, sf)
	if err != nil {
		return err
	}
	shown := u.String()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(d.Body))
	if err != nil {
		return usageErr("the URL must be an absolute http or https URL")
	}
	req.Header = d.Header.Clone()
	req.Header.Set("User-Agent", "itsmsync-cli")
	client := &http.Client{
		// Direct: a test delivery goes where it is told, not through the
		// environment's proxy.
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: *timeout}).DialContext,
			TLSHandshakeTimeout: *timeout,
		},
		// A redirect would resend the signed delivery elsewhere: show it
		// instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	if !c.json {
		fmt.Fprintf(c.stderr, "sending a %s delivery (%d bytes) to %s...\n", d.Scheme, len(d.Body), shown)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return ioErr("POST %s: no answer within --timeout %s", shown, *timeout)
		}
		return ioErr("POST %s: %s", shown, oneLine(err.Error()))
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxShownResponse+1))
	truncated := len(body) > maxShownResponse
	if truncated {
		body = body[:maxShownResponse]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if c.json {
		c.writeJSON(map[string]any{"ok": ok, "url": shown, "scheme": d.Scheme, "status": resp.StatusCode,
			"status_text": http.StatusText(resp.StatusCode), "body": string(body), "body_truncated": truncated})
	} else {
		fmt.Fprintf(c.stdout, "HTTP %s\n", resp.Status)
		if len(body) > 0 {
			c.stdout.Write(body)
			if body[len(body)-1] != '\n' {
				fmt.Fprintln(c.stdout)
			}
		}
		if truncated {
			fmt.Fprintf(c.stdout, "[answer cut at %d KiB]\n", maxShownResponse>>10)
		}
	}
	switch {
	case rerr != nil && !truncated:
		return ioErr("POST %s: reading the answer: %s", shown, oneLine(rerr.Error()))
	case !ok:
		if c.json {
			return errReported
		}
		return failed("the handler answered %s", resp.Status)
	}
	return nil
}
