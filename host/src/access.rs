//! H7, the permission matrix: the ONE place that says who may do what, and where.
//!
//! [`reach`] is FLOWS.md's table, row by row. Everything else — route guards, which links a
//! page shows, which rows a list holds — asks [`allowed`] or [`shop_filter`].

use std::fmt;

/// A portal user's role at one merchant (FLOWS.md H7 columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Merchant,
    Admin,
    CustomerService,
    Developer,
    School,
    ShopManager,
    Supervisor,
    Staff,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Merchant,
        Role::Admin,
        Role::CustomerService,
        Role::Developer,
        Role::School,
        Role::ShopManager,
        Role::Supervisor,
        Role::Staff,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Role::Merchant => "merchant",
            Role::Admin => "admin",
            Role::CustomerService => "customer-service",
            Role::Developer => "developer",
            Role::School => "school",
            Role::ShopManager => "shop-manager",
            Role::Supervisor => "supervisor",
            Role::Staff => "staff",
        }
    }

    pub fn from_id(id: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.id() == id)
    }

    /// Roles that work in named shops rather than across the merchant.
    pub fn shop_scoped(self) -> bool {
        matches!(self, Role::ShopManager | Role::Supervisor | Role::Staff)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The rows of the matrix. Portal routes and their actions are listed in `portal/mod.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Login, logout, own profile, password, merchant profile list/detail.
    Account,
    /// Merchant app detail, download development files.
    MerchantApp,
    /// Invited user list, invite, remove, edit users.
    Users,
    /// Query / download transaction history (and the T-1 report).
    History,
    /// Refund.
    Refund,
    /// Create shop, remove shop.
    ShopCreateRemove,
    /// Shop list, shop detail, edit shop, shop members.
    Shops,
    /// POS list, reset POS PIN (and reset refund PIN).
    PosList,
    /// Block / unblock POS, set up POS (and refund block, receipt settings, diagnostics, and the
    /// software a shop's POS run: its update channel or pinned version).
    PosControl,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Account,
        Action::MerchantApp,
        Action::Users,
        Action::History,
        Action::Refund,
        Action::ShopCreateRemove,
        Action::Shops,
        Action::PosList,
        Action::PosControl,
    ];
}

/// How far a role reaches for an action: ✓, S or — in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    AllShops,
    OwnShops,
    Nothing,
}

/// FLOWS.md H7, transcribed.
pub fn reach(role: Role, action: Action) -> Reach {
    use Reach::{AllShops as Y, Nothing as N, OwnShops as S};
    use Role::*;
    match action {
        Action::Account => Y,
        Action::MerchantApp => match role {
            Merchant | Admin | Developer => Y,
            _ => N,
        },
        Action::Users => match role {
            Merchant | Admin => Y,
            ShopManager => S,
            _ => N,
        },
        Action::History => match role {
            Merchant | Admin | CustomerService | School => Y,
            ShopManager | Supervisor | Staff => S,
            Developer => N,
        },
        Action::Refund => match role {
            Merchant | Admin | School => Y,
            _ => N,
        },
        Action::ShopCreateRemove => match role {
            Merchant | Admin => Y,
            _ => N,
        },
        Action::Shops => match role {
            Merchant | Admin => Y,
            ShopManager => S,
            _ => N,
        },
        Action::PosList => match role {
            Merchant | Admin => Y,
            ShopManager | Supervisor => S,
            _ => N,
        },
        Action::PosControl => match role {
            Merchant | Admin => Y,
            _ => N,
        },
    }
}

/// Where an action is aimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The merchant as a whole (lists, which [`shop_filter`] then narrows).
    Merchant,
    /// One shop (a shop's page, one of its POS, one of its transactions).
    Shop(i64),
}

/// Who is asking: their role at the current merchant and the shops they work in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub shops: Vec<i64>,
}

/// Whether `grant` may do `action` at `scope`.
pub fn allowed(grant: &Grant, action: Action, scope: Scope) -> bool {
    match (reach(grant.role, action), scope) {
        (Reach::AllShops, _) => true,
        (Reach::Nothing, _) => false,
        (Reach::OwnShops, Scope::Merchant) => true,
        (Reach::OwnShops, Scope::Shop(shop)) => grant.shops.contains(&shop),
    }
}

/// The shops a list for `action` may show: `None` for all of the merchant's.
pub fn shop_filter(grant: &Grant, action: Action) -> Option<Vec<i64>> {
    match reach(grant.role, action) {
        Reach::AllShops => None,
        Reach::OwnShops => Some(grant.shops.clone()),
        Reach::Nothing => Some(Vec::new()),
    }
}

/// Whether `grant` may invite, edit or remove a user who has (or will have) `role` in `shops`.
/// Merchant-wide user managers manage anyone but a merchant owner (only an owner manages an
/// owner); a shop manager manages only shop-scoped roles inside their own shops.
pub fn may_manage(grant: &Grant, role: Role, shops: &[i64]) -> bool {
    match reach(grant.role, Action::Users) {
        Reach::Nothing => false,
        Reach::AllShops => role != Role::Merchant || grant.role == Role::Merchant,
        Reach::OwnShops => role.shop_scoped() && !shops.is_empty() && shops.iter().all(|s| grant.shops.contains(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shop_manager_reaches_only_their_shops() -> Result<(), String> {
        let g = Grant {
            role: Role::ShopManager,
            shops: vec![1],
        };
        assert!(allowed(&g, Action::Shops, Scope::Shop(1)), "own shop");
        assert!(!allowed(&g, Action::Shops, Scope::Shop(2)), "another shop");
        assert!(
            !allowed(&g, Action::PosControl, Scope::Shop(1)),
            "no blocking even in own shop"
        );
        assert_eq!(shop_filter(&g, Action::History), Some(vec![1]));
        assert!(may_manage(&g, Role::Staff, &[1]));
        assert!(
            !may_manage(&g, Role::Admin, &[1]),
            "a shop manager cannot make an admin"
        );
        assert!(!may_manage(&g, Role::Staff, &[1, 2]), "nor place staff in another shop");
        Ok(())
    }

    #[test]
    fn only_an_owner_manages_an_owner() {
        let admin = Grant {
            role: Role::Admin,
            shops: vec![],
        };
        assert!(!may_manage(&admin, Role::Merchant, &[]));
        assert!(may_manage(&admin, Role::Staff, &[3]));
    }

    #[test]
    fn role_ids_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_id(r.id()), Some(r), "{r}");
        }
        assert_eq!(Role::from_id("root"), None);
    }
}
