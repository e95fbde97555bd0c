/*
 * Events forwarded to Flux's notification-controller (`--events-addr`), as every Flux controller
 * forwards them: besides the Kubernetes Event, each event is POSTed as Flux's event/v1 JSON
 * (involvedObject, severity "info" or "error", timestamp, message, reason, metadata,
 * reportingController, reportingInstance) to the address, so that Alerts and Providers of a
 * notification-controller running next to eddy keep working. The metadata are the event's
 * annotations (the revision as "<group>/revision") and the object's annotations under
 * event.toolkit.fluxcd.io/; notification-controller trims the group itself.
 *
 * Unlike Flux's recorder, which posts from the reconcile, the body is queued and posted by a
 * thread of its own, so a slow or absent receiver never holds a reconcile: up to 1024 events
 * wait (the oldest is dropped past that, and the drops are logged); each is tried 5 times in all
 * (Flux's retryable client: a connection error or a 5xx is retried after 1, 2, 4 and 8 s; a 429,
 * the receiver's "duplicate", and other 4xx are not), with a 5 s timeout per attempt.
 */
#include "runtime.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX        1024
#define ATTEMPTS         5
#define ATTEMPT_TIMEOUT  5000
#define DRAIN_MS         3000
#define FLUX_EVENT_GROUP "event.toolkit.fluxcd.io/"

struct pending {
    char *body;
    struct pending *next;
};

struct ed_notifier {
    char *url;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct pending *head, *tail;
    size_t queued;
    unsigned long dropped; /* since the last time the drops were logged */
    bool stop;
    bool busy; /* an event is being delivered */
    ed_notifier_stats stats;
};

int ed_notifier_check_url(const char *url, ed_err *err)
{
    if (!ed_str_has_prefix(url, "http://") && !ed_str_has_prefix(url, "https://"))
        return ed_err_set(err, ED_EINVALID,
                          "--events-addr must be an http:// or https:// URL, not \"%s\"", url);
    const char *host = strstr(url, "://") + 3;
    if (!*host || *host == '/')
        return ed_err_set(err, ED_EINVALID, "--events-addr \"%s\" has no host", url);
    return 0;
}

static size_t discard(char *ptr, size_t size, size_t n, void *user)
{
    (void)ptr, (void)user;
    return size * n;
}

/* One attempt. Returns 0 (delivered, or refused for good: *final), or -1 to retry. */
static int post_once(CURL *h, const char *url, const char *body, struct curl_slist *headers,
                     bool *final, char *why, size_t why_cap)
{
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ATTEMPT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "eddy");
    CURLcode cc = curl_easy_perform(h);
    *final = false;
    if (cc != CURLE_OK) {
        snprintf(why, why_cap, "%s", curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        return 0;
    snprintf(why, why_cap, "the receiver answered HTTP %ld", status);
    /* 429: notification-controller's answer to a duplicate within its rate-limit window. */
    if (status == 429 || (status >= 400 && status < 500) || status == 501) {
        *final = true;
        return 0;
    }
    return -1;
}

/* Sleep ms unless told to stop; true when told. */
static bool nap(ed_notifier *n, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&n->lock);
    while (!n->stop && pthread_cond_timedwait(&n->cond, &n->lock, &until) == 0)
        ;
    bool stop = n->stop;
    pthread_mutex_unlock(&n->lock);
    return stop;
}

static void deliver(ed_notifier *n, CURL *h, struct curl_slist *headers, const char *body)
{
    char why[CURL_ERROR_SIZE + 64] = "";
    int64_t wait_ms = 1000;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        bool final = false;
        if (post_once(h, n->url, body, headers, &final, why, sizeof(why)) == 0) {
            pthread_mutex_lock(&n->lock);
            if (final)
                n->stats.refused++;
            else
                n->stats.delivered++;
            pthread_mutex_unlock(&n->lock);
            if (final && !strstr(why, "HTTP 429"))
                ed_log(ED_LOG_ERROR, "unable to record event", "address", n->url, "error", why,
                       NULL);
            return;
        }
        if (attempt == ATTEMPTS || nap(n, wait_ms))
            break;
        wait_ms *= 2;
    }
    pthread_mutex_lock(&n->lock);
    n->stats.failed++;
    pthread_mutex_unlock(&n->lock);
    ed_log(ED_LOG_ERROR, "unable to record event", "address", n->url, "error", why, NULL);
}

static void *run(void *arg)
{
    ed_notifier *n = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    for (;;) {
        pthread_mutex_lock(&n->lock);
        while (!n->stop && !n->head)
            pthread_cond_wait(&n->cond, &n->lock);
        struct pending *p = n->stop ? NULL : n->head;
        if (p) {
            n->head = p->next;
            if (!n->head)
                n->tail = NULL;
            n->queued--;
        }
        unsigned long dropped = n->dropped;
        n->dropped = 0;
        n->busy = p != NULL;
        pthread_mutex_unlock(&n->lock);
        if (dropped) {
            char d[32];
            snprintf(d, sizeof(d), "%lu", dropped);
            ed_log(ED_LOG_ERROR, "events for the notification controller dropped: too many waiting",
                   "address", n->url, "dropped", d, NULL);
        }
        if (!p)
            break;
        if (h && headers)
            deliver(n, h, headers, p->body);
        free(p->body);
        free(p);
        pthread_mutex_lock(&n->lock);
        n->busy = false;
        pthread_cond_broadcast(&n->cond);
        pthread_mutex_unlock(&n->lock);
    }
    curl_slist_free_all(headers);
    if (h)
        curl_easy_cleanup(h);
    return NULL;
}

ed_notifier *ed_notifier_new(const char *url, ed_err *err)
{
    if (ed_notifier_check_url(url, err) != 0)
        return NULL;
    ed_notifier *n = ed_xcalloc(1, sizeof(*n));
    n->url = ed_xstrdup(url);
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->cond, NULL);
    if (pthread_create(&n->thread, NULL, run, n) != 0) {
        ed_err_set(err, ED_ERROR, "cannot start the event forwarder");
        pthread_mutex_destroy(&n->lock);
        pthread_cond_destroy(&n->cond);
        free(n->url);
        free(n);
        return NULL;
    }
    return n;
}

void ed_notifier_free(ed_notifier *n)
{
    if (!n)
        return;
    /* What is waiting gets DRAIN_MS to go out (the last events of a shutdown). */
    int64_t deadline = ed_time_mono_ms() + DRAIN_MS;
    pthread_mutex_lock(&n->lock);
    while ((n->head || n->busy) && ed_time_mono_ms() < deadline) {
        pthread_mutex_unlock(&n->lock);
        usleep(20 * 1000);
        pthread_mutex_lock(&n->lock);
    }
    n->stop = true;
    pthread_cond_broadcast(&n->cond);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    for (struct pending *p = n->head, *next; p; p = next) {
        next = p->next;
        free(p->body);
        free(p);
    }
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->cond);
    free(n->url);
    free(n);
}

void ed_notifier_get_stats(ed_notifier *n, ed_notifier_stats *out)
{
    pthread_mutex_lock(&n->lock);
    *out = n->stats;
    pthread_mutex_unlock(&n->lock);
}

static void json_field(ed_buf *b, const char *key, const char *value, bool *first)
{
    if (!value || !*value)
        return;
    if (!*first)
        ed_buf_append_str(b, ",");
    *first = false;
    ed_buf_append_json_str(b, key);
    ed_buf_append_str(b, ":");
    ed_buf_append_json_str(b, value);
}

static bool annotated(const ed_node *annotations, const char *key)
{
    return ed_str_has_prefix(key, FLUX_EVENT_GROUP) && ed_node_get(annotations, key);
}

char *ed_notifier_event_json(const ed_kube_event *ev, time_t now)
{
    const ed_node *obj = ev->regarding;
    const ed_node *meta = ed_node_get(obj, "metadata");
    ed_buf b = ED_BUF_INIT((size_t)1 << 30);
    bool first = true;
    ed_buf_append_str(&b, "{\"involvedObject\":{");
    json_field(&b, "kind", ed_node_path_str(obj, "/kind"), &first);
    json_field(&b, "namespace", ed_node_path_str(meta, "/namespace"), &first);
    json_field(&b, "name", ed_node_path_str(meta, "/name"), &first);
    json_field(&b, "uid", ed_node_path_str(meta, "/uid"), &first);
    json_field(&b, "apiVersion", ed_node_path_str(obj, "/apiVersion"), &first);
    json_field(&b, "resourceVersion", ed_node_path_str(meta, "/resourceVersion"), &first);
    ed_buf_append_str(&b, "}");
    first = false;
    bool warning = ev->type && strcmp(ev->type, ED_KUBE_EVENT_WARNING) == 0;
    json_field(&b, "severity", warning ? "error" : "info", &first);
    char ts[32];
    ed_time_rfc3339(now, ts);
    json_field(&b, "timestamp", ts, &first);
    json_field(&b, "message", ev->note ? ev->note : "", &first);
    json_field(&b, "reason", ev->reason, &first);
    /* The event's annotations, then the object's own under event.toolkit.fluxcd.io/ (which
     * win, as in Flux's recorder). */
    const ed_node *anns = ed_node_get(meta, "annotations");
    bool mfirst = true;
    ed_buf_append_str(&b, ",\"metadata\":{");
    for (const char *const *a = ev->annotations; a && a[0] && a[1]; a += 2)
        if (!annotated(anns, a[0]))
            json_field(&b, a[0], a[1], &mfirst);
    for (size_t i = 0; anns && ed_node_kind_of(anns) == ED_NODE_MAP && i < ed_node_len(anns); i++) {
        const char *k = ed_node_key_at(anns, i);
        if (k && ed_str_has_prefix(k, FLUX_EVENT_GROUP))
            json_field(&b, k, ed_node_str(ed_node_value_at(anns, i)), &mfirst);
    }
    ed_buf_append_str(&b, "}");
    json_field(&b, "reportingController", ev->reporting_controller, &first);
    char host[256] = "";
    if (!ev->reporting_instance && gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    json_field(&b, "reportingInstance", ev->reporting_instance ? ev->reporting_instance : host,
               &first);
    ed_buf_append_str(&b, "}");
    return ed_buf_take(&b);
}

void ed_notifier_post(const ed_kube_event *ev, void *user)
{
    ed_notifier *n = user;
    struct pending *p = ed_xcalloc(1, sizeof(*p));
    p->body = ed_notifier_event_json(ev, time(NULL));
    pthread_mutex_lock(&n->lock);
    if (n->stop) {
        pthread_mutex_unlock(&n->lock);
        free(p->body);
        free(p);
        return;
    }
    if (n->queued >= QUEUE_MAX) {
        struct pending *old = n->head;
        n->head = old->next;
        if (!n->head)
            n->tail = NULL;
        n->queued--;
        n->dropped++;
        n->stats.dropped++;
        free(old->body);
        free(old);
    }
    if (n->tail)
        n->tail->next = p;
    else
        n->head = p;
    n->tail = p;
    n->queued++;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}
