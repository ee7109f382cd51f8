//! `sealed-session budget`: the seal budget of each suite at a given rate (SECURITY.md, "Seal
//! budget").

use crate::Failure;

/// The rotation periods the tool chooses among, in seconds, with their names.
const PERIODS: [(f64, &str); 7] = [
    (3600.0, "every hour"),
    (4.0 * 3600.0, "every 4 hours"),
    (12.0 * 3600.0, "every 12 hours"),
    (86_400.0, "daily"),
    (7.0 * 86_400.0, "weekly"),
    (30.0 * 86_400.0, "monthly (30 days)"),
    (90.0 * 86_400.0, "every 90 days"),
];

/// The most seals one AES-256-GCM key should make under the cadence: the probability that any
/// two of `n` random 96-bit nonces repeat, about n²/2^97, stays at or below 2^-34.
const AES_CADENCE_LIMIT: f64 = 3_037_000_499.0; // 2^31.5

fn span(seconds: f64) -> String {
    let days = seconds / 86_400.0;
    if days >= 365.25 * 1000.0 {
        format!("{:.1e} years", days / 365.25)
    } else if days >= 2.0 {
        format!("{days:.1} days")
    } else {
        format!("{:.1} hours", seconds / 3600.0)
    }
}

pub(crate) fn run(rate: f64) -> Result<(), Failure> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(Failure::Refused(format!(
            "--rate {rate}: give the seals per second across the fleet, a positive number"
        )));
    }
    let aes_bound = 2f64.powi(32);
    println!("At {rate} seals per second across every server sharing the keys:");
    println!();
    println!(
        "AES-256-GCM (0x01): 2^32 seals per key (NIST SP 800-38D), reached after {}.",
        span(aes_bound / rate)
    );
    match PERIODS
        .iter()
        .rev()
        .find(|(seconds, _)| rate * seconds <= AES_CADENCE_LIMIT)
    {
        Some((seconds, name)) => {
            let n = rate * seconds;
            println!(
                "  rotate {name}: {n:.3e} seals per key ({:.0}% of 2^32), nonce repeat \
                 probability about 2^{:.1}.",
                100.0 * n / aes_bound,
                2.0 * n.log2() - 97.0
            );
        }
        None => println!(
            "  rotate at least every {} (2^31.5 seals), or seal with XAES-256-GCM \
             (SealerBuilder::extended_nonce), which has no practical bound.",
            span(AES_CADENCE_LIMIT / rate)
        ),
    }
    println!(
        "XAES-256-GCM (0x02): 2^80 seals per key, reached after {}; rotate for hygiene only \
         (how long a leaked key stays useful), e.g. every 90 days.",
        span(2f64.powi(80) / rate)
    );
    println!("HMAC-SHA256 (0x81): no per-key seal bound; rotate for hygiene only.");
    Ok(())
}
