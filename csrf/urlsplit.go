package csrf

import (
	"errors"
	"net/netip"
	"strings"
)

// splitURL is Python's urllib.parse.SplitResult.
type splitURL struct {
	scheme, netloc, path, query, fragment string
}

var (
	errInvalidIPv6   = errors.New("Invalid IPv6 URL")
	errBracketedHost = errors.New("invalid bracketed host")
)

// urlsplit is Python's urllib.parse.urlsplit, which Django's CSRF checks parse Origin and
// Referer with: leading C0 controls and spaces stripped, tab/CR/LF removed, the scheme lower
// case, the netloc up to the first of "/?#". It fails where Python raises ValueError:
// unbalanced brackets in the netloc. py311 selects the rules of Python 3.11+ (which Django
// 4.2+ run on here) over those of 3.10 (Django 3.2): a scheme must start with a letter, and a
// bracketed host that is not an IPv6 or IPvFuture address is a ValueError.
func urlsplit(url string, py311 bool) (splitURL, error) {
	url = strings.TrimLeftFunc(url, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(url, "\t\r\n") {
		url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	}
	var u splitURL
	if i := strings.IndexByte(url, ':'); i > 0 && (isASCIILetter(url[0]) || !py311) {
		scheme := true
		for j := 0; j < i; j++ {
			c := url[j]
			if !isASCIILetter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
				scheme = false
				break
			}
		}
		if scheme {
			u.scheme, url = strings.ToLower(url[:i]), url[i+1:]
		}
	}
	if strings.HasPrefix(url, "//") {
		end := len(url)
		if i := strings.IndexAny(url[2:], "/?#"); i >= 0 {
			end = 2 + i
		}
		u.netloc, url = url[2:end], url[end:]
		open, closed := strings.Contains(u.netloc, "["), strings.Contains(u.netloc, "]")
		if open != closed {
			return splitURL{}, errInvalidIPv6
		}
		if open && py311 {
			_, after, _ := strings.Cut(u.netloc, "[")
			host, _, _ := strings.Cut(after, "]")
			if !validBracketedHost(host) {
				return splitURL{}, errBracketedHost
			}
		}
	}
	url, u.fragment, _ = strings.Cut(url, "#")
	u.path, u.query, _ = strings.Cut(url, "?")
	return u, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// validBracketedHost is Python's _check_bracketed_host: "v<hex>.<anything>" (IPvFuture), or
// an IPv6 address as ipaddress.ip_address parses it.
func validBracketedHost(h string) bool {
	if rest, ok := strings.CutPrefix(h, "v"); ok {
		hex, tail, ok := strings.Cut(rest, ".")
		if !ok || hex == "" || tail == "" || strings.ContainsAny(tail, "\n") {
			return false
		}
		for i := 0; i < len(hex); i++ {
			c := hex[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	if _, zone, ok := strings.Cut(h, "%"); ok && (zone == "" || strings.Contains(zone, "%")) {
		return false // ipaddress's scope id: not empty, no second "%"
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Is6()
}

// geturl is SplitResult.geturl() (Django 5.0+), or with params ParseResult.geturl() (Django
// 3.2 and 4.2 parse with urlparse, whose round trip drops a ";" that ends the path's last
// segment with nothing after it). Only used for URLs with a scheme and a netloc.
func (u splitURL) geturl(params bool) string {
	path := u.path
	if params {
		// urlparse's _splitparams: the path splits at the first ";" after its last "/";
		// urlunparse puts back ";" + params only when params is not empty.
		seg := strings.LastIndexByte(path, '/')
		if i := strings.IndexByte(path[seg+1:], ';'); i >= 0 && seg+1+i == len(path)-1 {
			path = path[:len(path)-1]
		}
	}
	if path != "" && path[0] != '/' {
		path = "/" + path
	}
	out := u.scheme + "://" + u.netloc + path
	if u.query != "" {
		out += "?" + u.query
	}
	if u.fragment != "" {
		out += "#" + u.fragment
	}
	return out
}

// isSameDomain is django.utils.http.is_same_domain: a pattern starting with "." matches that
// domain and its subdomains, any other pattern matches exactly. Only the pattern is lowered,
// as in Django.
func isSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	pattern = strings.ToLower(pattern)
	return pattern[0] == '.' && (strings.HasSuffix(host, pattern) || host == pattern[1:]) || pattern == host
}
