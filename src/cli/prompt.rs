//! Reading secrets from the terminal (without echo) or from standard input for scripts.

use std::io::{BufRead, Write};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::CliError;

/// Reads `count` lines from standard input as secrets (for `--password-stdin`).
pub fn secrets_from_stdin(count: usize, what: &str) -> Result<Vec<SecretString>, CliError> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut secrets = Vec::with_capacity(count);
    for index in 0..count {
        let mut line = Zeroizing::new(String::new());
        let read = lines
            .read_line(&mut line)
            .map_err(|err| CliError::new(format!("could not read standard input: {err}")))?;
        if read == 0 {
            return Err(CliError::new(format!(
                "standard input ended early: expected {count} line(s) ({what}), got {index}"
            )));
        }
        let trimmed = line.trim_end_matches(['\n', '\r']);
        secrets.push(SecretString::from(trimmed.to_owned()));
    }
    Ok(secrets)
}

/// Prompts on the terminal without echoing what is typed.
pub fn hidden(prompt: &str) -> Result<SecretString, CliError> {
    rpassword::prompt_password(prompt)
        .map(SecretString::from)
        .map_err(|err| {
            CliError::new(format!(
                "could not read from the terminal ({err}); use --password-stdin in scripts"
            ))
        })
}

/// Prompts for a new password twice until both match.
pub fn new_password(prompt: &str) -> Result<SecretString, CliError> {
    use secrecy::ExposeSecret;
    loop {
        let first = hidden(prompt)?;
        let second = hidden("Repeat it: ")?;
        if first.expose_secret() == second.expose_secret() {
            return Ok(first);
        }
        let _ = writeln!(std::io::stderr(), "The two passwords differ; try again.");
    }
}

/// Prompts for a visible line (a user name, a code).
pub fn visible(prompt: &str) -> Result<String, CliError> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{prompt}")
        .and_then(|()| stderr.flush())
        .map_err(|err| CliError::new(format!("could not write to the terminal: {err}")))?;
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|err| CliError::new(format!("could not read from the terminal: {err}")))?;
    Ok(line.trim().to_owned())
}
