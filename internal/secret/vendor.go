package secret

// VendorText is fixed text that Creditsafe's documented answers carry (messages, codes,
// member names, media types, the endpoint path), as given in the reference documents.
// A secret found only inside one of them is not an echo: the text is the same whatever
// the password, and redacting it would tell a reader that the password is part of it.
var VendorText = []string{
	// Messages (creditsafe-connect-auth-errors, creditsafe-connect-authenticate).
	"Access denied - Please check that your username and password are correct. Please be aware that usernames and passwords are case sensitive. If the problem persists, please contact your Creditsafe account manager.",
	"Customer or user is not active in the Creditsafe system",
	"Token Expired",
	"Too many identical requests within a 2-minute period or total amount of requests exceeded",
	"Too many requests",
	"Rate limit exceeded. Please wait before retrying.",
	"Internal server error",
	"An unexpected error occurred. Please try again later.",
	"Authorization Token has either expired or is not a valid Connect Authorization Token",
	"Invalid token.",
	"Access forbidden",
	// The error catalogue (auth-api-error-codes-and-schema) and iDenfy's identifiers.
	"Client authentication failed.",
	"The authorization grant type is not supported by the authorization server.",
	"Check that all required parameters have been provided",
	"The refresh token is invalid.",
	"Token has been revoked",
	"INVALID_CLIENT", "INVALID_TOKEN", "USER_DEACTIVATED", "USER_NOT_FOUND", "PASSWORD_RESET_HASH_EXPIRED",
	"USER_ALREADY_EXISTS", "TOO_MANY_ATTEMPTS", "API_EXCEPTION", "INTERNAL_ERROR", "BAD_VALUE", "MISSING_VALUE",
	"UNAUTHORIZED", "ENCODING_ERROR", "JSON_ERROR", "TOKEN_NOT_VALID", "PARTNER_CONTRACT_ERROR",
	"METHOD_NOT_ALLOWED", "PERMISSIONS_ERROR", "TOO_MANY_REQUESTS", "VALIDATION_ERROR",
	"unsupported_grant_type", "invalid_request", "invalid_client", "invalid_token", "invalid_grant",
	// Member names of the documented body shapes.
	"error", "code", "text", "detail", "details", "message", "error_description", "hint", "context",
	"identifier", "correlationId", "type", "title", "status", "instance", "traceId", "token",
	// Media types and the endpoint.
	"application/json", "application/problem+json", "text/plain", "text/html", "charset=utf-8",
	"/v1/authenticate", "about:blank",
}
