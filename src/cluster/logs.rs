//! `cluster logs NAME [--follow]`: a server's `server.log`, or every log of a host.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use crate::cluster::state::Cluster;
use crate::cluster::{canonical, io, process};
use crate::error::Error;

pub fn logs(dir: &Path, name: &str, follow: bool) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    let selected = cluster.select(name)?;
    if follow && selected.len() > 1 {
        let names: Vec<&str> = selected.iter().map(|s| s.name.as_str()).collect();
        return Err(Error::Cluster(format!(
            "{name} runs {}: follow one of them",
            names.join(" and ")
        )));
    }
    let mut out = std::io::stdout();
    for server in &selected {
        let path = cluster.folder(server).join(process::LOG_FILE);
        if selected.len() > 1 {
            let _ = writeln!(out, "==> {} <==", path.display());
        }
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !follow => {
                let _ = writeln!(out, "({} has not been started yet)", server.name);
                continue;
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        // Reading stops when the reader does (`… | head`): a closed pipe is not an error here.
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(io(&path))?;
        if out.write_all(&text).is_err() {
            return Ok(true);
        }
        if follow {
            // Like `tail -f`: read what was appended, every quarter second, until Ctrl-C. A
            // log that shrank (deleted and written anew) is read from its start.
            let mut position = file.stream_position().map_err(io(&path))?;
            loop {
                std::thread::sleep(Duration::from_millis(250));
                let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                if len < position {
                    file = std::fs::File::open(&path).map_err(io(&path))?;
                    position = 0;
                }
                file.seek(SeekFrom::Start(position)).map_err(io(&path))?;
                let mut buf = Vec::new();
                file.read_to_end(&mut buf).map_err(io(&path))?;
                position += buf.len() as u64;
                if out.write_all(&buf).and_then(|()| out.flush()).is_err() {
                    return Ok(true);
                }
            }
        }
    }
    Ok(true)
}
