/*
 * `eddy completion bash|zsh|fish|powershell`: a completion script for the shell (flux's four),
 * generated from the verb
 * table (so a new verb is completed without touching this file): verbs, the kind words each
 * verb takes (source git, kustomization, image repository|policy|update, ...) and the global
 * flags.
 */
#include "cli_int.h"

#include <string.h>

static const char global_flags[] =
    "--namespace --kubeconfig --context --cluster --user --server --token --as --as-group "
    "--certificate-authority --insecure-skip-tls-verify --tls-server-name --client-certificate "
    "--client-key --kube-api-qps --kube-api-burst --timeout --verbose --help";

/* The words that may follow a verb. */
static const char *kind_words(const char *verb)
{
    if (strcmp(verb, "get") == 0)
        return "sources kustomizations images all";
    if (strcmp(verb, "create") == 0)
        return "source kustomization image secret";
    if (strcmp(verb, "diff") == 0)
        return "kustomization artifact";
    if (strcmp(verb, "tree") == 0 || strcmp(verb, "build") == 0 || strcmp(verb, "debug") == 0)
        return "kustomization";
    if (strcmp(verb, "completion") == 0)
        return "bash zsh fish powershell";
    if (strcmp(verb, "kustomize") == 0)
        return "build";
    if (strcmp(verb, "push") == 0 || strcmp(verb, "pull") == 0 || strcmp(verb, "tag") == 0)
        return "artifact";
    if (strcmp(verb, "list") == 0)
        return "artifacts";
    if (strcmp(verb, "help") == 0)
        return "";
    if (strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0 ||
        strcmp(verb, "reconcile") == 0 || strcmp(verb, "delete") == 0 ||
        strcmp(verb, "export") == 0)
        return "source kustomization image";
    return NULL;
}

static void verbs_line(void)
{
    const char *v;
    for (size_t i = 0; (v = ed_cli_verb_at(i, NULL)) != NULL; i++)
        printf("%s%s", i ? " " : "", v);
}

static void bash(void)
{
    printf("# bash completion for eddy: source <(eddy completion bash)\n"
           "_eddy() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words\n"
           "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
           "        words=\"");
    verbs_line();
    printf("\"\n"
           "    elif [[ $cur == -* ]]; then\n"
           "        words=\"%s\"\n"
           "    else\n"
           "        case $prev in\n"
           "        source|sources) words=\"git oci\" ;;\n"
           "        image|images) words=\"repository policy update all\" ;;\n"
           "        secret) words=\"git\" ;;\n"
           "        *)\n"
           "            case ${COMP_WORDS[1]} in\n",
           global_flags);
    const char *v;
    for (size_t i = 0; (v = ed_cli_verb_at(i, NULL)) != NULL; i++) {
        const char *k = kind_words(v);
        if (k)
            printf("            %s) [ \"$COMP_CWORD\" -eq 2 ] && words=\"%s\" ;;\n", v, k);
    }
    printf("            esac ;;\n"
           "        esac\n"
           "    fi\n"
           "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
           "}\n"
           "complete -F _eddy eddy\n");
}

static void zsh(void)
{
    printf("#compdef eddy\n"
           "# zsh completion for eddy: eddy completion zsh > \"${fpath[1]}/_eddy\"\n"
           "_eddy() {\n"
           "    local -a verbs\n"
           "    verbs=(\n");
    const char *v, *summary;
    for (size_t i = 0; (v = ed_cli_verb_at(i, &summary)) != NULL; i++) {
        printf("        '%s:", v);
        for (const char *s = summary; *s; s++)
            fputs(*s == '\'' ? "'\\''" : (char[]){*s, 0}, stdout);
        printf("'\n");
    }
    printf("    )\n"
           "    if (( CURRENT == 2 )); then\n"
           "        _describe 'verb' verbs\n"
           "        return\n"
           "    fi\n"
           "    if [[ $words[CURRENT] == -* ]]; then\n"
           "        compadd -- %s\n"
           "        return\n"
           "    fi\n"
           "    case $words[CURRENT-1] in\n"
           "    source|sources) compadd git oci; return ;;\n"
           "    secret) compadd git; return ;;\n"
           "    image|images) compadd repository policy update all; return ;;\n"
           "    esac\n"
           "    (( CURRENT == 3 )) || return\n"
           "    case $words[2] in\n",
           global_flags);
    for (size_t i = 0; (v = ed_cli_verb_at(i, NULL)) != NULL; i++) {
        const char *k = kind_words(v);
        if (k && *k)
            printf("    %s) compadd %s ;;\n", v, k);
    }
    printf("    esac\n"
           "}\n"
           "compdef _eddy eddy\n");
}

static void fish(void)
{
    printf("# fish completion for eddy: eddy completion fish > "
           "~/.config/fish/completions/eddy.fish\n"
           "complete -c eddy -f\n");
    const char *v, *summary;
    for (size_t i = 0; (v = ed_cli_verb_at(i, &summary)) != NULL; i++) {
        printf("complete -c eddy -n __fish_use_subcommand -a %s -d '", v);
        for (const char *s = summary; *s; s++)
            fputs(*s == '\'' ? "\\'" : (char[]){*s, 0}, stdout);
        printf("'\n");
        const char *k = kind_words(v);
        if (k && *k)
            printf("complete -c eddy -n '__fish_seen_subcommand_from %s' -a '%s'\n", v, k);
    }
    printf("complete -c eddy -n '__fish_seen_subcommand_from source sources' -a 'git oci'\n"
           "complete -c eddy -n '__fish_seen_subcommand_from secret' -a git\n"
           "complete -c eddy -n '__fish_seen_subcommand_from image images' "
           "-a 'repository policy update all'\n"
           "complete -c eddy -s n -l namespace -r -d 'namespace (default flux-system)'\n"
           "complete -c eddy -l kubeconfig -r -F -d 'kubeconfig file'\n"
           "complete -c eddy -l context -r -d 'kubeconfig context'\n"
           "complete -c eddy -l timeout -r -d 'how long to wait (default 5m)'\n"
           "complete -c eddy -l verbose -d 'print more'\n");
}

/* s as a PowerShell single-quoted string's content ('' for '). */
static void ps_quoted(const char *s)
{
    for (; *s; s++)
        fputs(*s == '\'' ? "''" : (char[]){*s, 0}, stdout);
}

/* A space-separated list as a PowerShell array: @('a', 'b'). */
static void ps_array(const char *list)
{
    fputs("@(", stdout);
    bool first = true;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n)
            printf("%s'%.*s'", first ? "" : ", ", (int)n, p);
        first &= n == 0;
        p += n;
        p += *p == ' ';
    }
    fputs(")", stdout);
}

static void powershell(void)
{
    printf("# powershell completion for eddy:\n"
           "#   eddy completion powershell | Out-String | Invoke-Expression\n"
           "Register-ArgumentCompleter -Native -CommandName 'eddy' -ScriptBlock {\n"
           "    param($wordToComplete, $commandAst, $cursorPosition)\n"
           "    $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })\n"
           "    $count = $words.Count\n"
           "    if ($wordToComplete -ne '') { $count = $count - 1 }\n"
           "    $verbs = [ordered]@{\n");
    const char *v, *summary;
    for (size_t i = 0; (v = ed_cli_verb_at(i, &summary)) != NULL; i++) {
        printf("        '%s' = '", v);
        ps_quoted(summary);
        printf("'\n");
    }
    printf("    }\n"
           "    $kinds = @{\n");
    for (size_t i = 0; (v = ed_cli_verb_at(i, NULL)) != NULL; i++) {
        const char *k = kind_words(v);
        if (k && *k) {
            printf("        '%s' = ", v);
            ps_array(k);
            printf("\n");
        }
    }
    printf("    }\n"
           "    $flags = ");
    ps_array(global_flags);
    printf("\n"
           "    $candidates = @()\n"
           "    if ($wordToComplete -like '-*') {\n"
           "        $candidates = $flags\n"
           "    } elseif ($count -le 1) {\n"
           "        $candidates = @($verbs.Keys)\n"
           "    } else {\n"
           "        $prev = $words[$count - 1]\n"
           "        if (@('source', 'sources') -contains $prev) {\n"
           "            $candidates = @('git', 'oci')\n"
           "        } elseif ($prev -eq 'secret') {\n"
           "            $candidates = @('git')\n"
           "        } elseif (@('image', 'images') -contains $prev) {\n"
           "            $candidates = @('repository', 'policy', 'update', 'all')\n"
           "        } elseif ($count -eq 2 -and $kinds.ContainsKey($words[1])) {\n"
           "            $candidates = $kinds[$words[1]]\n"
           "        }\n"
           "    }\n"
           "    $candidates | Where-Object { $_ -like \"$wordToComplete*\" } | ForEach-Object {\n"
           "        $tip = if ($verbs.Contains($_)) { $verbs[$_] } else { $_ }\n"
           "        [System.Management.Automation.CompletionResult]::new($_, $_, "
           "'ParameterValue', $tip)\n"
           "    }\n"
           "}\n");
}

int ed_cli_completion(int argc, char **argv)
{
    if (argc == 1) {
        /* As flux's completion (a command of subcommands alone): its help, and success. */
        fputs(ed_cli_verb_usage("completion"), stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        ed_cli_failure("usage: eddy completion (bash | zsh | fish | powershell)");
        return 2;
    }
    if (strcmp(argv[1], "bash") == 0)
        bash();
    else if (strcmp(argv[1], "zsh") == 0)
        zsh();
    else if (strcmp(argv[1], "fish") == 0)
        fish();
    else if (strcmp(argv[1], "powershell") == 0)
        powershell();
    else {
        ed_cli_failure("unsupported shell \"%s\": bash, zsh, fish or powershell", argv[1]);
        return 2;
    }
    return 0;
}
