//! The `hosts --json` document (its shape is stable: fields are added, never renamed) and its human form.

use crate::flake::{Diagnostic, FlakeModel, Level};

/// The `hosts --json` document, serialised straight from the model.
#[derive(serde::Serialize)]
pub struct Doc<'a> {
    pub hosts: &'a [crate::flake::Host],
    pub diagnostics: &'a [Diagnostic],
}

pub fn json(model: &FlakeModel) -> Doc<'_> {
    Doc {
        hosts: &model.hosts,
        diagnostics: &model.diagnostics,
    }
}

/// `Doc` as `serde_json::to_writer_pretty` writes it, byte for byte, with
/// the hosts serialised in parallel: for 200 hosts of 10,000 files each the
/// document is 75 MB, and one thread spends a fifth of the whole run on it.
pub fn write_json(model: &FlakeModel, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    use serde::Serialize;
    let doc = json(model);
    if doc.hosts.is_empty() {
        return serde_json::to_writer_pretty(out, &doc).map_err(Into::into);
    }
    // Each host is an element of `"hosts": [`, two levels down. A few hosts
    // at a time, so the document is never held in memory whole.
    let batch = rayon::current_num_threads().max(1) * 2;
    // Buffers reused from batch to batch: fresh ones of this size are mapped
    // and faulted in page by page every time.
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); batch];
    out.write_all(b"{\n  \"hosts\": [")?;
    for (n, chunk) in doc.hosts.chunks(batch).enumerate() {
        bufs.par_iter_mut().zip(chunk).try_for_each(|(buf, h)| {
            buf.clear();
            h.serialize(&mut serde_json::Serializer::with_formatter(
                &mut *buf,
                Pretty::at(2),
            ))
        })?;
        for (i, buf) in bufs.iter().take(chunk.len()).enumerate() {
            out.write_all(if n == 0 && i == 0 {
                b"\n    "
            } else {
                b",\n    "
            })?;
            out.write_all(buf)?;
        }
    }
    out.write_all(b"\n  ],\n  \"diagnostics\": ")?;
    doc.diagnostics
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut *out,
            Pretty::at(1),
        ))?;
    out.write_all(b"\n}")
}

/// serde_json's `PrettyFormatter` (two spaces a level), starting at a given
/// depth so a value serialised on its own fits inside a larger document; it
/// also writes each indentation in one piece rather than a level at a time.
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    fn at(level: usize) -> Self {
        Pretty {
            level,
            has_value: false,
        }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const SPACES: &[u8; 64] =
            b"                                                                ";
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = self.level * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

pub fn text(model: &FlakeModel, verbose: bool) -> String {
    let mut out = String::new();
    let width = model
        .hosts
        .iter()
        .map(|h| h.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let entries: Vec<String> = model
        .hosts
        .iter()
        .map(|h| format!("{}:{}", h.entry.file, h.entry.line))
        .collect();
    let entry_width = entries.iter().map(String::len).max().unwrap_or(0);
    let rule_width = model.hosts.iter().map(|h| h.rule.len()).max().unwrap_or(0);
    for (h, entry) in model.hosts.iter().zip(&entries) {
        let d = &h.deps;
        let mut extra = vec![];
        if !d.directories.is_empty() {
            extra.push(format!("{} dirs", d.directories.len()));
        }
        if !d.globs.is_empty() {
            extra.push(format!("{} globs", d.globs.len()));
        }
        if d.whole_source {
            extra.push(console::style("whole source").yellow().to_string());
        }
        out.push_str(&format!(
            "{:width$}  {:6}  {:rule_width$}  {:entry_width$} {:>5} files{}\n",
            console::style(&h.name).bold(),
            h.kind,
            h.rule,
            entry,
            d.files.len(),
            if extra.is_empty() {
                String::new()
            } else {
                format!(", {}", extra.join(", "))
            },
        ));
        if verbose {
            for f in d.files.iter() {
                out.push_str(&format!("    {f}\n"));
            }
            for f in &d.directories {
                out.push_str(&format!("    {f}/ (directory)\n"));
            }
            for f in &d.globs {
                out.push_str(&format!("    {f} (glob)\n"));
            }
        }
    }
    if model.hosts.is_empty() {
        out.push_str("no hosts found\n");
    }
    out.push_str(&diagnostics_text(&model.diagnostics, verbose));
    out
}

pub fn diagnostics_text(diags: &[Diagnostic], verbose: bool) -> String {
    let mut out = String::new();
    for d in diags {
        if d.level == Level::Info && !verbose {
            continue;
        }
        let label = match d.level {
            Level::Error => console::style("error").red().bold(),
            Level::Warning => console::style("warning").yellow().bold(),
            Level::Info => console::style("info").dim(),
        };
        out.push_str(&format!(
            "{label}[{}] {}:{}: {}\n",
            d.kind, d.file, d.line, d.message
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(model: &FlakeModel) -> (String, String) {
        let mut fast = Vec::new();
        write_json(model, &mut fast).unwrap_or_else(|e| panic!("write_json: {e}"));
        let plain = serde_json::to_string_pretty(&json(model))
            .unwrap_or_else(|e| panic!("serde_json: {e}"));
        (String::from_utf8_lossy(&fast).into_owned(), plain)
    }

    #[test]
    fn parallel_document_is_serde_json_pretty_byte_for_byte() {
        let example =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example");
        let model = crate::flake::load(&example).unwrap_or_else(|e| panic!("{e}"));
        assert!(model.hosts.len() > 2 && !model.diagnostics.is_empty());
        let (fast, plain) = both(&model);
        assert_eq!(fast, plain);

        // Names that need escaping, and a host list longer than one batch.
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let hosts: String = (0..9)
            .map(|i| {
                format!("h{i} = lib.nixosSystem {{ modules = [ (./. + \"/we\\\"ird ü{i}.nix\") ./m.nix ]; }};\n")
            })
            .collect();
        std::fs::write(
            tmp.path().join("flake.nix"),
            format!("{{ outputs = {{ self }}: {{ nixosConfigurations = {{\n{hosts}}}; }}; }}\n"),
        )
        .and_then(|()| {
            std::fs::write(
                tmp.path().join("m.nix"),
                "{ imports = [ (./. + \"/tab\\tname.nix\") ]; }\n",
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let model = crate::flake::load(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(model.hosts.len(), 9);
        let (fast, plain) = both(&model);
        assert!(
            plain.contains("we\\\"ird ü3.nix") && plain.contains("tab\\tname.nix"),
            "{plain}"
        );
        assert_eq!(fast, plain);

        // No hosts at all.
        let (fast, plain) = both(&FlakeModel::default());
        assert_eq!(fast, plain);
    }
}
