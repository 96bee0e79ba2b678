package simulator

// FormatNames exposes, to the tests of package simulator_test, the format names
// each response accepts: [0] for 401 from authenticate, [1] for 403 Token Expired.
var FormatNames = [2]map[string]Format{formatKinds[kindUnauthorized].names, formatKinds[kindTokenExpired].names}

// DurationPattern is the pattern the server checks durations with.
const DurationPattern = durationPattern
