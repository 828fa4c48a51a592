package authdb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/djangobridge/bridge/auth"
	"github.com/djangobridge/bridge/auth/authdb"
	"github.com/djangobridge/bridge/auth/hashers"
)

func TestNewUsersOptions(t *testing.T) {
	db := openFake(t)
	for _, bad := range []authdb.UserOptions{
		{Options: authdb.Options{Table: "auth_user; DROP TABLE x"}},
		{UsernameColumn: "name OR 1=1"},
		{EmailColumn: `"e"`},
		{UserGroupsTable: "a.b.c"},
		{M2MUserColumn: "user id"},
		{Options: authdb.Options{Placeholder: "%s"}},
		{DisableUseTZ: true, TimeZone: "Nowhere/Atlantis"},
	} {
		if _, err := authdb.NewUsers(db, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := authdb.NewUsers(nil, authdb.UserOptions{}); err == nil {
		t.Error("nil db accepted")
	}
	custom := authdb.UserOptions{
		Options:         authdb.Options{Table: "accounts.member", Placeholder: "$1"},
		UUIDPrimaryKey:  true,
		UsernameColumn:  "email",
		FirstNameColumn: "-", LastNameColumn: "-", IsStaffColumn: "-",
		UserGroupsTable: "accounts_member_groups", UserPermissionsTable: "accounts_member_user_permissions",
		M2MUserColumn: "member_id",
	}
	if _, err := authdb.NewUsers(db, custom); err != nil {
		t.Fatal(err)
	}
}

func TestUsersWithoutQuery(t *testing.T) {
	ctx := context.Background()
	db := openFake(t)
	fake.mu.Lock()
	before := len(fake.queries)
	fake.mu.Unlock()
	u, _ := authdb.NewUsers(db, authdb.UserOptions{UUIDPrimaryKey: true})
	for _, id := range []string{"", "42", "not-a-uuid", "0b9c6a2e-6b1f-4c1a-9f5e-2d7c1e0a9b8"} {
		if _, err := u.GetUser(ctx, id); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("GetUser(%q) = %v, want ErrNotFound", id, err)
		}
	}
	ints, _ := authdb.NewUsers(db, authdb.UserOptions{})
	if _, err := ints.GetUser(ctx, "1e3"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("GetUser(1e3) = %v", err)
	}
	fake.mu.Lock()
	after := len(fake.queries)
	fake.mu.Unlock()
	if after != before {
		t.Errorf("%d queries for ids no primary key holds", after-before)
	}
	if _, err := ints.Authenticate(ctx, "alice", "pw"); !errors.Is(err, hashers.ErrNoHashers) {
		t.Errorf("Authenticate without Hashers: %v", err)
	}
	// Anonymous and inactive users have no permissions, without a query.
	for _, usr := range []auth.User{{}, {ID: "1", IsActive: false, IsSuperuser: true}} {
		if p, err := ints.AllPermissions(ctx, usr); err != nil || len(p) != 0 {
			t.Errorf("AllPermissions(%#v) = %v, %v", usr, p, err)
		}
		if ok, err := ints.HasPerm(ctx, usr, "auth.view_user"); err != nil || ok {
			t.Errorf("HasPerm(%#v) = %v, %v", usr, ok, err)
		}
	}
	if ok, _ := ints.HasPerm(ctx, auth.User{ID: "1", IsActive: true, IsSuperuser: true}, "no.such"); !ok {
		t.Error("an active superuser lacks a permission")
	}
}
