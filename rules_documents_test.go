package hotline

import "testing"

func TestMayReadDocuments(t *testing.T) {
	owner := Actor{Login: "ivanova", OperatorID: 2, Role: RoleOperator}
	creator := Actor{Login: "petrova", OperatorID: 4, Role: RoleOperator}
	target := Actor{Login: "sidorova", OperatorID: 5, Role: RoleOperator}
	other := Actor{Login: "petrov", OperatorID: 3, Role: RoleOperator}
	admin := Actor{Login: "admin", OperatorID: 1, Role: RoleAdministrator}
	// The login a case was registered under, now another person's (renamed, or given again).
	sameLogin := Actor{Login: "petrova", OperatorID: 6, Role: RoleOperator}
	c := Case{ID: 7, OwnerID: 2, ForwardedTo: 5, CreatedBy: "petrova", CreatedByID: 4}
	tests := []struct {
		by   Actor
		want string
	}{
		{owner, ""}, {creator, ""}, {target, ""}, {admin, ""}, {SystemActor, ""},
		{other, EFORBIDDEN}, {Actor{Role: RoleOperator}, EFORBIDDEN}, {sameLogin, EFORBIDDEN},
	}
	for _, tt := range tests {
		if got := ErrorCode(c.MayReadDocuments(tt.by)); got != tt.want {
			t.Errorf("%s reads the documents: %q, want %q", tt.by.Login, got, tt.want)
		}
	}
	// A case nobody owns yet is anyone's to work, documents too.
	if err := (&Case{ID: 8}).MayReadDocuments(other); err != nil {
		t.Errorf("unowned case: %v", err)
	}
}
