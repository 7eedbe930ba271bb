//go:build tools

// This file pins the modules the packages below are being built on while
// they are written; it is never compiled into the SDK.
package itsmsync

import (
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/stretchr/testify/require"
	_ "github.com/tidwall/gjson"
	_ "github.com/tidwall/sjson"
	_ "github.com/valyala/fasttemplate"
	_ "golang.org/x/oauth2/clientcredentials"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
	_ "software.sslmate.com/src/go-pkcs12"
)
