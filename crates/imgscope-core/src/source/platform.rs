//! The one platform resolver for every source's indexes: parse `os/arch[/variant]`, normalize
//! architecture names (x86_64 → amd64, aarch64 → arm64; arm64 with and without `v8` alike), and
//! pick the descriptor to use from a list of candidates.

use anyhow::{Result, bail};

use crate::model::Platform;

pub fn normalize_arch(arch: &str) -> &str {
    match arch {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i686" => "386",
        other => other,
    }
}

/// Parse `os/arch[/variant]`.
pub fn parse(spec: &str) -> Result<Platform> {
    let parts: Vec<&str> = spec.split('/').collect();
    match parts.as_slice() {
        [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
            os: os.to_string(),
            architecture: normalize_arch(arch).to_string(),
            variant: None,
        }),
        [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
            Ok(Platform {
                os: os.to_string(),
                architecture: normalize_arch(arch).to_string(),
                variant: Some(variant.to_string()),
            })
        }
        _ => bail!("invalid platform {spec:?}: expected os/arch[/variant], e.g. linux/arm64"),
    }
}

/// The platform of this machine: `linux/<arch>`.
pub fn host() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: normalize_arch(std::env::consts::ARCH).to_string(),
        variant: None,
    }
}

fn effective_variant(p: &Platform) -> Option<&str> {
    match (p.architecture.as_str(), p.variant.as_deref()) {
        ("arm64", Some("v8")) => None,
        (_, v) => v,
    }
}

/// Whether `candidate` satisfies `wanted`. A wanted platform without a variant accepts any variant.
pub fn matches(wanted: &Platform, candidate: &Platform) -> bool {
    wanted.os == candidate.os
        && normalize_arch(&wanted.architecture) == normalize_arch(&candidate.architecture)
        && match effective_variant(wanted) {
            None => true,
            Some(v) => effective_variant(candidate) == Some(v),
        }
}

/// Attestation and signature manifests that buildx puts in indexes are not images to choose.
pub fn is_image_platform(p: &Platform) -> bool {
    p.os != "unknown" && p.architecture != "unknown"
}

/// Choose among candidates: the only one if there is one, else the one matching `wanted`
/// (or the host). Errors list what is available.
pub fn choose<T>(
    candidates: Vec<(Option<Platform>, T)>,
    wanted: Option<&Platform>,
) -> Result<(Option<Platform>, T)> {
    let mut images: Vec<(Option<Platform>, T)> = candidates
        .into_iter()
        .filter(|(p, _)| p.as_ref().is_none_or(is_image_platform))
        .collect();
    if images.is_empty() {
        bail!("the index holds no image manifest");
    }
    if images.len() == 1 && wanted.is_none() {
        return Ok(images.pop().expect("one"));
    }
    let target = wanted.cloned().unwrap_or_else(host);
    let available: Vec<String> = images
        .iter()
        .map(|(p, _)| {
            p.as_ref()
                .map_or("unknown platform".to_string(), |p| p.to_string())
        })
        .collect();
    match images
        .iter()
        .position(|(p, _)| p.as_ref().is_some_and(|p| matches(&target, p)))
    {
        Some(i) => Ok(images.swap_remove(i)),
        None => bail!(
            "no image for platform {target} (available: {}); choose one with --platform",
            super::short_list(&available)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalizes() {
        assert_eq!(p("linux/aarch64").architecture, "arm64");
        assert_eq!(p("linux/arm/v7").variant.as_deref(), Some("v7"));
        assert!(parse("linux").is_err());
        assert!(parse("linux//").is_err());
    }

    #[test]
    fn arm64_v8_is_arm64() {
        assert!(matches(&p("linux/arm64"), &p("linux/arm64/v8")));
        assert!(matches(&p("linux/arm64/v8"), &p("linux/arm64")));
        assert!(!matches(&p("linux/arm/v7"), &p("linux/arm/v6")));
        assert!(!matches(&p("linux/amd64"), &p("linux/arm64")));
    }

    #[test]
    fn single_image_is_chosen_on_any_host() {
        let (_, v) = choose(vec![(Some(p("linux/s390x")), 1)], None).unwrap();
        assert_eq!(v, 1);
    }

    #[test]
    fn lists_platforms_when_none_matches() {
        let err = choose(
            vec![(Some(p("linux/amd64")), 1), (Some(p("linux/arm64")), 2)],
            Some(&p("linux/riscv64")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("linux/amd64, linux/arm64"), "{err}");
    }

    #[test]
    fn attestations_are_ignored() {
        let (_, v) = choose(
            vec![(Some(p("linux/arm64")), 1), (Some(p("unknown/unknown")), 2)],
            None,
        )
        .unwrap();
        assert_eq!(v, 1);
    }
}
