//! lethe's domain: what a request is, which states it moves through, and the
//! identifiers that name a data subject.
//!
//! Nothing here does IO. Identifier newtypes are parsed once at the edge and
//! never print their value through `Debug` or `Display`; the only form an
//! identifier takes in logs and audit is a keyed hash ([`hash::IdentifierHasher`]).

pub mod callback;
pub mod hash;
pub mod identifier;
pub mod request;
pub mod subject;
pub mod target;

pub use hash::{IdentifierHasher, KeyedHash};
pub use identifier::{
    AccountNumber, CloudLinkUserId, DirectoryAccount, Email, IdentifierError, IdentifierKind,
    PersonName, Phone, PhoneRegion, Variant, VariantForm,
};
pub use request::{
    IllegalTransition, RequestEvent, RequestKind, RequestStatus, StepAction, StepStatus,
};
pub use subject::{FieldError, ParsedIdentifier, Subject, SubjectInput};
pub use target::{Replacement, Strategy, TargetInfo};
