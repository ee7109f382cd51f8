//! After `fork`, parent and child must not seal with the same nonce: the child's copy of the
//! per-thread generator is seeded again (src/nonce.rs). A real fork, on Unix.

#[cfg(unix)]
fn main() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sealed_session::{Key, KeyRing, Sealer};

    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "s")
        .build()
        .unwrap();
    // Seed this thread's generator before the fork, as a server that sealed before forking
    // its workers would have.
    let _ = sealer.seal(&0u8).unwrap();

    let nonce = |value: &str| URL_SAFE_NO_PAD.decode(value).unwrap()[5..17].to_vec();
    let dir = std::env::temp_dir().join(format!("sealed-session-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let from_child = dir.join("child");

    match fork::fork().expect("fork") {
        fork::Fork::Child => {
            let value = sealer.seal(&1u8).unwrap().into_value();
            std::fs::write(&from_child, value).unwrap();
            std::process::exit(0);
        }
        fork::Fork::Parent(child) => {
            let parent_value = sealer.seal(&1u8).unwrap().into_value();
            let status = fork::waitpid(child).expect("waitpid");
            assert_eq!(status, 0, "the child failed");
            let child_value = std::fs::read_to_string(&from_child).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            assert_ne!(
                nonce(&parent_value),
                nonce(&child_value),
                "parent and child sealed with the same nonce after fork"
            );
            // Both values are genuine.
            assert_eq!(sealer.open::<u8>(&child_value).unwrap().state, 1);
            assert_eq!(sealer.open::<u8>(&parent_value).unwrap().state, 1);
            println!("fork: parent and child nonces differ after fork ... ok");
        }
    }
}

#[cfg(not(unix))]
fn main() {
    println!("fork: not a Unix target, nothing to fork");
}
