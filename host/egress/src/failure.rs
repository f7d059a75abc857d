//! Turning reqwest errors into [`EgressError`]s without leaking their text: reqwest's
//! Display includes the URL, which may carry a query-placed secret.

use std::error::Error as StdError;
use std::io;

use super::error::EgressError;
use super::resolve::{AddressDenied, LookupFailed};

fn chain<'a>(err: &'a reqwest::Error) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let first: &'a (dyn StdError + 'static) = err;
    std::iter::successors(Some(first), |e: &&'a (dyn StdError + 'static)| {
        (*e).source()
    })
}

/// `cause` as a `T`, also when it arrives boxed once more (`Box<T>` is itself an error).
fn as_type<'a, T: StdError + 'static>(cause: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    cause
        .downcast_ref::<T>()
        .or_else(|| cause.downcast_ref::<Box<T>>().map(|b| &**b))
}

/// Classifies a reqwest error from fixed texts and the error chain's types only.
pub(super) fn from_reqwest(err: &reqwest::Error) -> EgressError {
    for cause in chain(err) {
        if let Some(denied) = as_type::<AddressDenied>(cause) {
            return EgressError::Denied(denied.to_string());
        }
        if as_type::<LookupFailed>(cause).is_some() {
            return EgressError::Transport("could not resolve the host".into());
        }
    }
    if err.is_timeout() {
        return EgressError::Timeout;
    }
    if let Some(tls) = chain(err).find_map(as_type::<rustls::Error>) {
        return EgressError::Transport(format!("TLS error: {tls}"));
    }
    let io_kind = chain(err).find_map(|c| as_type::<io::Error>(c).map(io::Error::kind));
    let what = if err.is_connect() {
        "could not connect to the upstream"
    } else if err.is_body() || err.is_decode() {
        "failed reading the response body"
    } else {
        "the request to the upstream failed"
    };
    match io_kind {
        Some(kind) => EgressError::Transport(format!("{what} ({kind})")),
        None => EgressError::Transport(what.into()),
    }
}
