//! Which new staff passwords are accepted (SPEC section 5): long enough, not absurdly long, no
//! composition rules, and not guessable by zxcvbn's estimate.

use zxcvbn::feedback::{Feedback, Suggestion, Warning};

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 256;
/// zxcvbn's scale: 3 means more than 10^8 guesses are needed, its own threshold for "not weak".
pub const MIN_ACCEPTED_SCORE: u8 = 3;

const SHORT_HINT: &str = "Use at least 10 characters; a few unrelated words are easy to remember.";
const LONG_HINT: &str = "Use at most 256 characters.";
const PERSONAL_HINT: &str =
    "Don't build it from your username or the shop's name; choose a few unrelated words.";
/// User inputs shorter than this are too likely to occur by chance to blame for a weak password.
const PERSONAL_MIN_CHARS: usize = 4;
const GENERIC_HINT: &str = "Add another word or two; uncommon words are better.";

/// Why a new password was refused. Never carries the password itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("the password is too short: use at least {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    #[error("the password is too long: use at most {PASSWORD_MAX_CHARS} characters")]
    TooLong,
    #[error("the password is too easy to guess. {hint}")]
    TooGuessable { hint: String },
}

/// For a live strength meter: zxcvbn's score 0–4 (capped at 2 while the length rule fails, so
/// the meter agrees with [`check_new_password`]) and one sentence on how to improve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    pub score: u8,
    pub hint: Option<String>,
}

impl Strength {
    pub fn is_acceptable(&self) -> bool {
        self.score >= MIN_ACCEPTED_SCORE
    }
}

/// Accepts `password` as a new staff password, or says why not. `user_inputs` are words an
/// attacker would try first: the username, the shop's name.
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> Result<(), PasswordRejected> {
    match length_rule(password) {
        Some(rejected) => Err(rejected),
        None => match assess(password, user_inputs) {
            (score, _) if score >= MIN_ACCEPTED_SCORE => Ok(()),
            (_, hint) => Err(PasswordRejected::TooGuessable {
                hint: hint.unwrap_or_else(|| GENERIC_HINT.to_owned()),
            }),
        },
    }
}

pub fn strength(password: &str, user_inputs: &[&str]) -> Strength {
    let (score, hint) = assess(password, user_inputs);
    // The length rule is the first thing to fix, so its hint wins over zxcvbn's.
    match length_rule(password) {
        Some(PasswordRejected::TooLong) => Strength {
            score: score.min(MIN_ACCEPTED_SCORE - 1),
            hint: Some(LONG_HINT.to_owned()),
        },
        Some(_) => Strength {
            score: score.min(MIN_ACCEPTED_SCORE - 1),
            hint: Some(SHORT_HINT.to_owned()),
        },
        None => Strength { score, hint },
    }
}

fn length_rule(password: &str) -> Option<PasswordRejected> {
    let count = password.chars().count();
    if count < PASSWORD_MIN_CHARS {
        Some(PasswordRejected::TooShort)
    } else if count > PASSWORD_MAX_CHARS {
        Some(PasswordRejected::TooLong)
    } else {
        None
    }
}

/// zxcvbn's score and, when it is below the bar, a hint. A password that is just one of the
/// user inputs scores 0 whatever zxcvbn thinks of the word itself.
fn assess(password: &str, user_inputs: &[&str]) -> (u8, Option<String>) {
    let folded = password.trim().to_lowercase();
    let personal: Vec<String> = guessable_variants(user_inputs)
        .into_iter()
        .filter(|input| input.chars().count() >= PERSONAL_MIN_CHARS)
        .collect();
    if personal.contains(&folded) {
        return (0, Some(PERSONAL_HINT.to_owned()));
    }
    let dictionary: Vec<&str> = personal.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &dictionary);
    let score = u8::from(estimate.score());
    if score >= MIN_ACCEPTED_SCORE {
        return (score, None);
    }
    let hint = if personal.iter().any(|input| folded.contains(input.as_str())) {
        PERSONAL_HINT.to_owned()
    } else {
        estimate
            .feedback()
            .map_or_else(|| GENERIC_HINT.to_owned(), one_sentence)
    };
    (score, Some(hint))
}

/// What an attacker makes of each input first: the whole, lower-cased; its words; and the
/// words run together or joined by a separator ("Sparkling Shine" → `sparklingshine`,
/// `sparkling-shine`), which zxcvbn would otherwise not connect with the name.
fn guessable_variants(user_inputs: &[&str]) -> Vec<String> {
    let mut variants = Vec::new();
    let mut add = |variant: String| {
        if !variant.is_empty() && !variants.contains(&variant) {
            variants.push(variant);
        }
    };
    for input in user_inputs {
        let folded = input.trim().to_lowercase();
        let words: Vec<&str> = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .collect();
        add(words.concat());
        if words.len() > 1 {
            for separator in ["-", "_", ".", " "] {
                add(words.join(separator));
            }
        }
        for word in &words {
            add((*word).to_owned());
        }
        add(folded);
    }
    variants
}

/// zxcvbn's warning and its first suggestion, joined into one sentence.
fn one_sentence(feedback: &Feedback) -> String {
    let advice = feedback
        .suggestions()
        .first()
        .map_or("add another word or two", |s| suggestion_clause(*s));
    match feedback.warning() {
        Some(warning) => format!("{}; {advice}.", warning_clause(warning)),
        None => {
            let mut chars = advice.chars();
            match chars.next() {
                Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
                None => GENERIC_HINT.to_owned(),
            }
        }
    }
}

fn warning_clause(warning: Warning) -> &'static str {
    match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess => "Straight rows of keys are easy to guess",
        Warning::ShortKeyboardPatternsAreEasyToGuess => "Short keyboard patterns are easy to guess",
        Warning::RepeatsLikeAaaAreEasyToGuess => "Repeats like \"aaa\" are easy to guess",
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "Repeats like \"abcabc\" are barely harder to guess than \"abc\""
        }
        Warning::ThisIsATop10Password => "This is one of the ten most common passwords",
        Warning::ThisIsATop100Password => "This is one of the hundred most common passwords",
        Warning::ThisIsACommonPassword => "This is a very common password",
        Warning::ThisIsSimilarToACommonlyUsedPassword => {
            "This is similar to a commonly used password"
        }
        Warning::SequencesLikeAbcAreEasyToGuess => "Sequences like abc or 6543 are easy to guess",
        Warning::RecentYearsAreEasyToGuess => "Recent years are easy to guess",
        Warning::AWordByItselfIsEasyToGuess => "A word by itself is easy to guess",
        Warning::DatesAreOftenEasyToGuess => "Dates are easy to guess",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => {
            "Names and surnames by themselves are easy to guess"
        }
        Warning::CommonNamesAndSurnamesAreEasyToGuess => {
            "Common names and surnames are easy to guess"
        }
    }
}

fn suggestion_clause(suggestion: Suggestion) -> &'static str {
    match suggestion {
        Suggestion::UseAFewWordsAvoidCommonPhrases => "use a few unrelated words, not a phrase",
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => {
            "length matters more than symbols, digits or capitals"
        }
        Suggestion::AddAnotherWordOrTwo => "add another word or two (uncommon words are better)",
        Suggestion::CapitalizationDoesntHelpVeryMuch => {
            "capitals don't help much; add another word instead"
        }
        Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => {
            "all capitals is almost as easy to guess as all lowercase; add another word instead"
        }
        Suggestion::ReversedWordsArentMuchHarderToGuess => {
            "reversed words aren't much harder to guess; add another word instead"
        }
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch => {
            "swaps like @ for a don't help much; add another word instead"
        }
        Suggestion::UseALongerKeyboardPatternWithMoreTurns => {
            "avoid keyboard patterns; use a few unrelated words"
        }
        Suggestion::AvoidRepeatedWordsAndCharacters => "avoid repeated words and characters",
        Suggestion::AvoidSequences => "avoid sequences",
        Suggestion::AvoidRecentYears => "avoid recent years",
        Suggestion::AvoidYearsThatAreAssociatedWithYou => {
            "avoid years that are associated with you"
        }
        Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => {
            "avoid dates and years that are associated with you"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUTS: &[&str] = &["frontdeskmanager", "Sparkle Car Wash"];

    fn refused(password: &str) -> PasswordRejected {
        check_new_password(password, INPUTS).expect_err(password)
    }

    #[test]
    fn common_passwords_are_refused_with_a_hint() {
        for password in [
            "password123",
            "qwertyuiop",
            "1234567890",
            "aaaaaaaaaaaa",
            "iloveyou2024",
        ] {
            let error = refused(password);
            assert!(
                matches!(error, PasswordRejected::TooGuessable { .. }),
                "{password}"
            );
            let message = error.to_string();
            assert!(!message.contains(password), "{message}");
            assert!(message.ends_with('.'), "{message}");
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(refused("Zq8#vLp2!"), PasswordRejected::TooShort);
        // Nine CJK characters are 27 bytes but still too short.
        assert_eq!(refused("洗车店前台密码好长"), PasswordRejected::TooShort);
        assert_eq!(
            refused(&"correct horse battery ".repeat(12)),
            PasswordRejected::TooLong
        );
    }

    #[test]
    fn long_passphrases_are_accepted() {
        assert_eq!(
            check_new_password("correct horse battery staple wash bay", INPUTS),
            Ok(())
        );
        let meter = strength("correct horse battery staple wash bay", INPUTS);
        assert!(meter.is_acceptable() && meter.hint.is_none(), "{meter:?}");
    }

    #[test]
    fn substitutions_are_judged_by_zxcvbn_not_by_composition() {
        // Looks complex, but is a common password with predictable swaps.
        let error = refused("P@ssw0rd123");
        assert!(
            error
                .to_string()
                .contains("similar to a commonly used password"),
            "{error}"
        );
        // The xkcd example: zxcvbn estimates more than 10^10 guesses, which meets the bar.
        assert_eq!(check_new_password("Tr0ub4dor&3", INPUTS), Ok(()));
        // Its nine-character stem fails on length before strength is considered.
        assert_eq!(refused("Tr0ub4dor"), PasswordRejected::TooShort);
        assert!(strength("Tr0ub4dor", INPUTS).hint.is_some());
    }

    #[test]
    fn the_username_or_shop_name_is_refused() {
        assert!(matches!(
            refused("FrontDeskManager"),
            PasswordRejected::TooGuessable { .. }
        ));
        assert!(matches!(
            refused("sparkle car wash"),
            PasswordRejected::TooGuessable { .. }
        ));
        assert!(matches!(
            refused("frontdeskmanager1"),
            PasswordRejected::TooGuessable { .. }
        ));
        // It is the user input that makes this one guessable.
        assert!(check_new_password("frontdeskmanager", &[]).is_ok());
    }

    #[test]
    fn the_shop_name_run_together_or_reordered_is_refused() {
        let inputs = ["owner", "Sparkling Shine"];
        for password in [
            "sparklingshine1",
            "SparklingShine2026",
            "sparkling-shine!",
            "shinesparkling",
            "Sparkling_Shine_1",
        ] {
            let error = check_new_password(password, &inputs).expect_err(password);
            assert!(
                matches!(error, PasswordRejected::TooGuessable { .. }),
                "{password}"
            );
        }
        // The same words are no weakness in a shop with another name.
        assert_eq!(
            check_new_password(
                "sparkling shine harbour kettle",
                &["owner", "Sparkle Car Wash"]
            ),
            Ok(())
        );
    }

    #[test]
    fn the_meter_agrees_with_the_check() {
        for password in [
            "",
            "short",
            "Zq8#vLp2!",
            "password123",
            "Tr0ub4dor&3",
            "frontdeskmanager",
            "correct horse battery staple wash bay",
            "purple mango ladder",
            "vN7#qL2@xR9!",
        ] {
            let meter = strength(password, INPUTS);
            assert!(meter.score <= 4);
            assert_eq!(
                check_new_password(password, INPUTS).is_ok(),
                meter.is_acceptable(),
                "{password}: {meter:?}"
            );
            assert_eq!(
                meter.hint.is_none(),
                meter.is_acceptable(),
                "{password}: {meter:?}"
            );
            if let Some(hint) = &meter.hint {
                assert!(!hint.contains(password) || password.is_empty());
            }
        }
    }

    #[test]
    fn short_passwords_get_a_length_hint_on_the_meter() {
        let meter = strength("vN7#qL2@x", INPUTS);
        assert!(!meter.is_acceptable());
        assert!(meter.hint.is_some());
    }
}
