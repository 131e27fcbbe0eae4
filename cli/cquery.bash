# bash completion for cquery (installed as bash-completion/completions/cquery).
#
# Everything offered comes from cquery itself, so there is no second list
# to keep: the subcommands from `cquery --help`, each one's options from
# `cquery CMD --help`, analytic ids from `cquery hunt --list`, field names
# from `cquery sources --fields` and forget's --source paths from `cquery
# sources --files` (of the index given with -i, or the default).

_cquery_index_args() {
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -i | --index) printf '%s\n' --index "${COMP_WORDS[i + 1]}" ;;
        esac
    done
}

_cquery() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local cmd=${COMP_WORDS[1]} words
    COMPREPLY=()
    if ((COMP_CWORD == 1)); then
        words=$(cquery --help 2>/dev/null | awk '/^commands:/ {on = 1; next}
            on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
        COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
        return
    fi
    case $prev in
    -i | --index | -o | --output | -q | --query-file | --conf | --geoip-db | --follow)
        compopt -o default 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return
        ;;
    --lookups | -a | --archive)
        compopt -o dirnames 2>/dev/null
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    -f | --format)
        words=$(cquery "$cmd" --help 2>/dev/null | sed -n 's/.*--format FMT *//p')
        COMPREPLY=($(compgen -W "$(printf '%s\n' $words | grep -E '^[a-z-]+$')" -- "$cur"))
        return
        ;;
    -s | --sourcetype)
        words="docker:daemon kubernetes:apiserver kubernetes:container _json"
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        __ltrim_colon_completions "$cur" 2>/dev/null
        return
        ;;
    --source)
        words=$(cquery sources --files $(_cquery_index_args) 2>/dev/null)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
        ;;
    --budget | --report-rows | --threads | --timeout | --max-memory | --follow-interval)
        return      # a number: nothing to offer
        ;;
    -t | --technique)
        words=$(cquery hunt --list 2>/dev/null | awk '$1 == "technique" {print $2}' | sort -u)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
        words=$(cquery "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi
    case $cmd in
    hunt)
        words=$(cquery hunt --list 2>/dev/null | awk '/^[^ ]/ {print $1}')
        COMPREPLY=($(compgen -W "$words" -- "$cur") $(compgen -f -- "$cur"))
        ;;
    search | explain)
        # Field names are data and may hold any character (strategic-merge
        # patches log "$setElementOrder/containers"): compare them as plain
        # strings, since compgen -W would expand them.
        local f
        COMPREPLY=()
        while IFS= read -r f; do
            [[ $f == "$cur"* ]] && COMPREPLY+=("$f")
        done < <(cquery sources --fields $(_cquery_index_args) 2>/dev/null)
        ;;
    shell | sources) ;;     # options only
    *)
        compopt -o default 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        ;;
    esac
}

complete -F _cquery cquery
