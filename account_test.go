package hotline

import (
	"strings"
	"testing"
	"time"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name, login, password string
		want                  string // part of the error; "" for none
	}{
		{"empty", "ivanova", "", "empty"},
		{"nine characters", "ivanova", "123456789", "too short"},
		{"ten characters", "ivanova", "1234567890", ""},
		{"ten Cyrillic letters (20 bytes)", "ivanova", "пароль-уже", ""},
		{"nine Cyrillic letters (18 bytes) is short", "ivanova", "парольуже", "too short"},
		{"the login itself", "ivanova1234", "ivanova1234", "not be the login"},
		{"the login in other case", "ivanova1234", "IVANOVA1234", "not be the login"},
		{"max bytes", "ivanova", strings.Repeat("a", MaxPasswordBytes), ""},
		{"over max bytes", "ivanova", strings.Repeat("a", MaxPasswordBytes+1), "longer than 1024 bytes"},
		{"not UTF-8", "ivanova", "\xff\xfe\xfd1234567890", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePassword(tt.login, tt.password)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || ErrorCode(err) != EINVALID {
				t.Fatalf("error %v, want invalid containing %q", err, tt.want)
			}
			if len(tt.password) > 3 && strings.Contains(err.Error(), tt.password) {
				t.Fatalf("the error quotes the password: %v", err)
			}
		})
	}
}

func TestSessionLimitsDefaults(t *testing.T) {
	l := SessionLimits{}.OrDefault()
	if l.Idle != DefaultSessionIdle || l.Max != DefaultSessionMax {
		t.Fatalf("defaults: %+v", l)
	}
	l = SessionLimits{Idle: time.Minute}.OrDefault()
	if l.Idle != time.Minute || l.Max != DefaultSessionMax {
		t.Fatalf("partial: %+v", l)
	}
}

func TestThrottledErrorIsForbidden(t *testing.T) {
	err := error(&ThrottledError{RetryAfter: 14*time.Minute + 30*time.Second})
	if ErrorCode(err) != EFORBIDDEN || !strings.Contains(ErrorMessage(err), "try again in 14m30s") {
		t.Fatalf("%v: code %s message %q", err, ErrorCode(err), ErrorMessage(err))
	}
}
