//! Byte counts for people: IEC units (KiB, MiB, …) through bytesize. Shared by the analysis's
//! plain-words verdicts and every report.

/// Human size, IEC units (KiB, MiB, …).
pub fn human_size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}
